#pragma once
// Strict decimal integer parsing for configuration values: the whole text must be an integer
// (optional leading '-'), no spaces, no trailing characters. Pure; thread-safe.

#include <charconv>
#include <optional>
#include <string_view>

namespace mr {

inline std::optional<long long> ParseInt(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace mr
