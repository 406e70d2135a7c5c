#pragma once
// Structured logging: one JSON object per line on stderr ({"ts","level","msg",...fields}).
// Never pass secrets (API keys, LiveKit secrets, access secrets) as fields.
// Thread safety: all functions are safe from any thread (spdlog's mutex-guarded sink).

#include <string>
#include <string_view>

#include "common/json.hpp"

namespace mr::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Sets the minimum level from its name (debug, info, warn, error; `verbose` = debug).
// Returns false for an unknown name and leaves the level unchanged.
bool SetLevel(std::string_view name);
bool Enabled(Level level);
void Write(Level level, std::string_view msg, const Json& fields);

inline void Debug(std::string_view msg, const Json& f = Json::object()) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, const Json& f = Json::object()) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, const Json& f = Json::object()) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, const Json& f = Json::object()) { Write(Level::kError, msg, f); }

}  // namespace mr::log
