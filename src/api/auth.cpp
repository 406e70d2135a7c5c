#include "api/auth.hpp"

#include <openssl/crypto.h>

namespace mr::api {

bool ApiKeyAuth::Matches(std::string_view key) const {
  bool match = false;
  for (const auto& k : keys_) {
    // Constant-time comparison so response timing does not reveal key prefixes.
    if (k.size() == key.size() && CRYPTO_memcmp(k.data(), key.data(), k.size()) == 0) {
      match = true;
    }
  }
  return match;
}

std::optional<http::Response> ApiKeyAuth::Check(const http::Request& req) const {
  auto header = req.Header("x-api-key");
  if (!header) {
    return http::Response::MakeError(401, "Authentication Error", "Unauthorized");
  }
  if (keys_.empty()) {
    return http::Response::MakeError(
        401, "Authentication Error",
        "There are no API keys configured yet. Please, create one to access the API");
  }
  if (!Matches(*header)) {
    return http::Response::MakeError(401, "Authentication Error", "Invalid API key");
  }
  return std::nullopt;
}

}  // namespace mr::api
