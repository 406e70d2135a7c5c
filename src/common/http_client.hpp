#pragma once
// HttpClient: the injected way to make outgoing HTTP requests (STYLE rule 1): LiveKit Twirp calls,
// outgoing webhooks. Only app/ creates the real one (BeastHttpClient); tests inject fakes.
//
// Send never throws for expected failures; it returns a Status:
//   - kInvalidArgument: the URL, method or a header cannot be used (unknown scheme, no host, bad
//     port, CR/LF in a header value);
//   - kUnavailable: DNS failure, connection refused or reset, TLS failure, an unparseable reply;
//   - kTimeout: the whole request (resolve, connect, TLS, write, read) exceeded `timeout`.
// Any HTTP status, including 4xx and 5xx, is a successful Send: callers judge the status.
// Thread safety: implementations must allow concurrent Send calls from any thread.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"

namespace mr {

using HttpHeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpClientRequest {
  std::string method = "GET";  // Upper case.
  std::string url;             // http://host[:port]/path?query or https://...
  HttpHeaderList headers;      // Sent as given. Host and Content-Length are set by the client.
  std::string body;
  std::chrono::milliseconds timeout{10000};  // For the whole request.
};

struct HttpClientResponse {
  int status = 0;
  HttpHeaderList headers;  // Names lower-cased, in received order.
  std::string body;

  // The first header with this name (compared case-insensitively).
  std::optional<std::string_view> Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n.size() != name.size()) {
        continue;
      }
      bool same = true;
      for (size_t i = 0; i < n.size() && same; ++i) {
        char a = n[i];
        char b = name[i];
        same = (a >= 'A' && a <= 'Z' ? a + 32 : a) == (b >= 'A' && b <= 'Z' ? b + 32 : b);
      }
      if (same) {
        return std::string_view(v);
      }
    }
    return std::nullopt;
  }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Task<Result<HttpClientResponse>> Send(HttpClientRequest request) = 0;
};

}  // namespace mr
