#include "common/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

namespace mr::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

spdlog::logger& Logger() {
  // The message is already a complete JSON object; spdlog only adds the newline and the lock.
  static auto logger = [] {
    auto l = std::make_shared<spdlog::logger>("mr", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

bool SetLevel(std::string_view name) {
  Level level;
  if (name == "debug" || name == "verbose" || name == "trace") {
    level = Level::kDebug;
  } else if (name == "info") {
    level = Level::kInfo;
  } else if (name == "warn" || name == "warning") {
    level = Level::kWarn;
  } else if (name == "error") {
    level = Level::kError;
  } else {
    return false;
  }
  g_level.store(static_cast<int>(level));
  return true;
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void Write(Level level, std::string_view msg, const Json& fields) {
  if (!Enabled(level)) {
    return;
  }
  Json line = Json::object();
  line["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  line["level"] = LevelName(level);
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      line[it.key()] = it.value();
    }
  }
  Logger().info(line.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace mr::log
