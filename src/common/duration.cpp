#include "common/duration.hpp"

#include <charconv>
#include <cstdint>

namespace mr {

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) {
    return std::nullopt;
  }
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  uint64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else if (unit == "d") {
    scale = 86'400'000;
  } else {
    return std::nullopt;
  }
  if (n > static_cast<uint64_t>(INT64_MAX) / scale) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(n * scale));
}

}  // namespace mr
