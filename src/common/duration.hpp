#pragma once
// Durations in configuration: the `ms` library's syntax the reference uses ("20s", "30m", "6h",
// "1d", "250ms") or a plain number of milliseconds. Pure; thread-safe.

#include <chrono>
#include <optional>
#include <string_view>

namespace mr {

// nullopt for anything else (negative, fractional, unknown unit, overflow).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace mr
