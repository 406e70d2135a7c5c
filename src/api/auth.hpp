#pragma once
// API-key authentication (scope.md: `x-api-key` authorises every endpoint). Several keys may be
// configured at once so keys can be rotated. Keys are compared in constant time and never logged.

#include <optional>
#include <string>
#include <vector>

#include "common/http/http.hpp"

namespace mr::api {

class ApiKeyAuth {
 public:
  explicit ApiKeyAuth(std::vector<std::string> keys) : keys_(std::move(keys)) {}

  // Returns nullopt when the request carries a valid `x-api-key`; otherwise the reference's 401:
  // header absent → "Unauthorized"; no keys configured → "There are no API keys configured yet.
  // Please, create one to access the API"; wrong key → "Invalid API key".
  std::optional<http::Response> Check(const http::Request& req) const;

  bool Matches(std::string_view key) const;

 private:
  std::vector<std::string> keys_;
};

}  // namespace mr::api
