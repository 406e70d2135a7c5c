#pragma once
// Clock: the injected source of time (STYLE rule 1). Wall time (for dates written to records) and
// monotonic time (for timeouts and intervals) are separate types so they cannot be mixed.
// Thread safety: implementations must be safe to call from any thread.

#include <chrono>
#include <cstdint>

namespace mr {

using WallTime = std::chrono::system_clock::time_point;
using MonoTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;
  virtual MonoTime Monotonic() const = 0;

  // Milliseconds since the Unix epoch, the unit of every date in the API.
  int64_t NowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  WallTime Now() const override { return std::chrono::system_clock::now(); }
  MonoTime Monotonic() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace mr
