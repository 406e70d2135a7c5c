#include "livekit/livekit_options.hpp"

#include <cctype>
#include <string_view>
#include <utility>

namespace mr::livekit {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Get(const std::map<std::string, std::string>& env, const std::string& name,
                const std::string& fallback) {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace

Result<std::string> LiveKitHttpBaseUrl(const std::string& url, const std::string& what) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) {
    return InvalidArgumentError(
        what + " must start with ws://, wss://, http:// or https:// (got \"" + url + "\")");
  }
  const std::string scheme = Lower(std::string_view(url).substr(0, sep));
  std::string rest = url.substr(sep + 3);
  std::string http_scheme;
  if (scheme == "ws" || scheme == "http") {
    http_scheme = "http";
  } else if (scheme == "wss" || scheme == "https") {
    http_scheme = "https";
  } else {
    return InvalidArgumentError(what + " must use ws://, wss://, http:// or https:// (got " +
                                scheme + "://)");
  }
  while (!rest.empty() && rest.back() == '/') {
    rest.pop_back();
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':' || rest.front() == '?') {
    return InvalidArgumentError(what + " has no host (got \"" + url + "\")");
  }
  return http_scheme + "://" + rest;
}

Result<LiveKitOptions> LiveKitOptionsFromEnv(const std::map<std::string, std::string>& env) {
  LiveKitOptions o;
  o.url = Get(env, "LIVEKIT_URL", o.url);
  auto public_base = LiveKitHttpBaseUrl(o.url, "LIVEKIT_URL");
  if (!public_base.ok()) {
    return public_base.status();
  }
  const std::string private_url = Get(env, "LIVEKIT_URL_PRIVATE", o.url);
  auto private_base = LiveKitHttpBaseUrl(
      private_url, env.count("LIVEKIT_URL_PRIVATE") != 0 && !env.at("LIVEKIT_URL_PRIVATE").empty()
                       ? "LIVEKIT_URL_PRIVATE"
                       : "LIVEKIT_URL");
  if (!private_base.ok()) {
    return private_base.status();
  }
  o.private_url = std::move(*private_base);
  o.api_key = Get(env, "LIVEKIT_API_KEY", o.api_key);
  o.api_secret = Get(env, "LIVEKIT_API_SECRET", o.api_secret);
  return o;
}

}  // namespace mr::livekit
