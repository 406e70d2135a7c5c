#pragma once
// KeyedMutex: an asynchronous FIFO mutex per key, for coroutines. Lock(key) suspends (without
// blocking a thread) until every earlier holder of the same key has released it; different keys
// never wait for each other. Used to serialise read-modify-write of one recording's record when
// its webhooks are handled concurrently on several threads. Entries are dropped when unused, so
// memory follows the number of keys currently locked.
// Thread safety: Lock may be called from any thread; a Guard may be destroyed on any thread.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/async.hpp"
#include "common/one_shot.hpp"

namespace mr {

class KeyedMutex {
 public:
  class Guard {
   public:
    Guard() = default;
    Guard(KeyedMutex* owner, std::string key, std::shared_ptr<OneShot> mine)
        : owner_(owner), key_(std::move(key)), mine_(std::move(mine)) {}
    Guard(Guard&& o) noexcept { *this = std::move(o); }
    Guard& operator=(Guard&& o) noexcept {
      Release();
      owner_ = o.owner_;
      key_ = std::move(o.key_);
      mine_ = std::move(o.mine_);
      o.owner_ = nullptr;
      return *this;
    }
    ~Guard() { Release(); }

   private:
    void Release() {
      if (owner_ != nullptr) {
        owner_->Unlock(key_, mine_);
        owner_ = nullptr;
      }
    }
    KeyedMutex* owner_ = nullptr;
    std::string key_;
    std::shared_ptr<OneShot> mine_;
  };

  Task<Guard> Lock(std::string key) {
    auto mine = OneShot::Make();
    std::shared_ptr<OneShot> previous;
    {
      std::lock_guard lock(mu_);
      Entry& e = entries_[key];
      previous = std::move(e.tail);
      e.tail = mine;
      ++e.users;
    }
    if (previous) {
      co_await previous->Wait();
    }
    co_return Guard(this, std::move(key), std::move(mine));
  }

 private:
  struct Entry {
    std::shared_ptr<OneShot> tail;  // Set when the newest holder releases.
    int users = 0;                  // Holders and waiters.
  };

  void Unlock(const std::string& key, const std::shared_ptr<OneShot>& mine) {
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it != entries_.end() && --it->second.users == 0) {
        entries_.erase(it);
      }
    }
    mine->Set();
  }

  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // Guarded by mu_.
};

}  // namespace mr
