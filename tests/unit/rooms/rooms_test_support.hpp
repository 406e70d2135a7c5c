#pragma once
// Test doubles for the rooms tests: a settable clock, a scripted Random, and recording/meeting
// ports that record their calls and can be told to fail.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "rooms/room_ports.hpp"

namespace mr::rooms::testing {

class SetClock final : public Clock {
 public:
  explicit SetClock(int64_t now_ms) : now_ms_(now_ms) {}
  WallTime Now() const override { return WallTime(std::chrono::milliseconds(now_ms_)); }
  MonoTime Monotonic() const override { return MonoTime(std::chrono::milliseconds(now_ms_)); }
  void Set(int64_t now_ms) { now_ms_ = now_ms; }

 private:
  int64_t now_ms_;
};

// SecureString gives "000…1", "000…2", ...; SecureHex gives "a000000001", "a000000002", ...
class CountingRandom final : public Random {
 public:
  std::string SecureHex(size_t n) override { return Next('a', n, "0123456789"); }
  std::string SecureString(size_t n, const std::string& alphabet) override {
    last_alphabet = alphabet;
    return Next('0', n, "0123456789");
  }
  std::string last_alphabet;

 private:
  std::string Next(char lead, size_t n, const std::string& digits) {
    std::string s = std::to_string(++counter_);
    std::string out(n, '0');
    out[0] = lead;
    for (size_t i = 0; i < s.size() && i < n - 1; ++i) {
      out[n - 1 - i] = s[s.size() - 1 - i];
    }
    (void)digits;
    return out;
  }
  int counter_ = 0;
};

class FakeRecordings final : public RoomRecordings {
 public:
  std::set<std::string> rooms_with_recordings;
  std::optional<Status> has_recordings_error;
  std::optional<Status> delete_all_error;
  std::optional<Status> refresh_error;
  std::vector<std::string> deleted_all;
  std::vector<Room> refreshed;

  Task<Result<bool>> HasRecordings(std::string room_id) override {
    if (has_recordings_error) {
      co_return *has_recordings_error;
    }
    co_return rooms_with_recordings.count(room_id) > 0;
  }
  Task<Status> DeleteAllRecordings(std::string room_id) override {
    if (delete_all_error) {
      co_return *delete_all_error;
    }
    deleted_all.push_back(room_id);
    rooms_with_recordings.erase(room_id);
    co_return Status::Ok();
  }
  Task<Status> RefreshArchivedMetadata(const Room& room) override {
    if (refresh_error) {
      co_return *refresh_error;
    }
    refreshed.push_back(room);
    co_return Status::Ok();
  }
};

class FakeMeetings final : public MeetingControl {
 public:
  std::vector<std::string> ended;
  std::optional<Status> error;
  Task<Status> EndMeeting(std::string room_id) override {
    if (error) {
      co_return *error;
    }
    ended.push_back(room_id);
    co_return Status::Ok();
  }
};

}  // namespace mr::rooms::testing
