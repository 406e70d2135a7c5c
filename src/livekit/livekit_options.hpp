#pragma once
// LiveKitOptions: where the LiveKit server is and the API key pair used to sign service tokens
// and to check webhook signatures (STYLE rule 14: the module owns its Options, parsing is pure).
// Thread safety: plain values.

#include <chrono>
#include <map>
#include <string>

#include "common/status.hpp"

namespace mr::livekit {

struct LiveKitOptions {
  // The public URL browsers use (ws://, wss://, http:// or https://), kept as configured.
  std::string url = "ws://localhost:7880";
  // The URL this service calls (Twirp), always http:// or https:// (ws -> http, wss -> https),
  // without a trailing '/'. Requests go to {private_url}/twirp/livekit.<Service>/<Method>.
  std::string private_url = "http://localhost:7880";
  std::string api_key = "devkey";
  std::string api_secret = "secret";  // Never logged.
  // Deadline of one Twirp call (the JS SDK's default is 10 s as well).
  std::chrono::milliseconds request_timeout{10000};
};

// Builds options from environment variables (passed in, so the function is pure):
//   LIVEKIT_URL          default ws://localhost:7880
//   LIVEKIT_URL_PRIVATE  default LIVEKIT_URL
//   LIVEKIT_API_KEY      default devkey
//   LIVEKIT_API_SECRET   default secret
// An unset or empty variable takes its default. A URL whose scheme is not ws, wss, http or https,
// or that has no host, is kInvalidArgument with one line naming the variable (never its secret).
Result<LiveKitOptions> LiveKitOptionsFromEnv(const std::map<std::string, std::string>& env);

// Maps a LiveKit URL to the http(s) base used for API calls: ws:// -> http://, wss:// ->
// https://, http(s) unchanged; trailing '/' removed. kInvalidArgument for any other scheme or a
// URL without a host; the message names `what` (e.g. the variable).
Result<std::string> LiveKitHttpBaseUrl(const std::string& url, const std::string& what);

}  // namespace mr::livekit
