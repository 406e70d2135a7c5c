#pragma once
// A RecordingLifecycle wired to fakes (FakeClock, FakeLiveKit, in-memory storage and in-process
// coordination) on one io_context that the test polls, so every interleaving of replies,
// webhooks and timeouts is constructed step by step without sleeping.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/detached.hpp>

#include "common/random.hpp"
#include "coordination/event_bus.hpp"
#include "coordination/lock_service.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/fake_livekit.hpp"
#include "fakes/memory_object_store.hpp"
#include "recording/app_webhooks.hpp"
#include "recording/egress_record.hpp"
#include "recording/lifecycle.hpp"
#include "recording/recording_catalogue.hpp"
#include "recording/room_directory.hpp"

namespace mr::recording::testing {

class FakeRooms final : public RoomDirectory {
 public:
  std::map<std::string, RoomFacts> rooms;  // Edited by tests between polls.
  int archived = 0;

  Task<Result<std::optional<RoomFacts>>> Find(std::string room_id) override {
    auto it = rooms.find(room_id);
    if (it == rooms.end()) {
      co_return std::optional<RoomFacts>();
    }
    co_return std::optional<RoomFacts>(it->second);
  }
  Task<Status> ArchiveRoomMetadata(std::string room_id) override {
    if (rooms.count(room_id) > 0) {
      ++archived;
    }
    co_return Status::Ok();
  }
};

class RecordedWebhooks final : public AppWebhooks {
 public:
  struct Sent {
    AppEvent event;
    std::string key;
    Json data;
  };
  void Enqueue(AppEvent event, std::string key, Json data) override {
    std::lock_guard lock(mu);
    sent.push_back({event, std::move(key), std::move(data)});
  }
  std::vector<std::string> Names(const std::string& key) {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& s : sent) {
      if (s.key == key) {
        out.push_back(std::string(AppEventName(s.event)) + ":" + s.data.value("status", ""));
      }
    }
    return out;
  }
  std::mutex mu;
  std::vector<Sent> sent;
};

struct Harness {
  explicit Harness(LifecycleOptions options = {})
      : catalogue(store, StorageLayout("openvidu-meet")),
        locks(clock),
        livekit(clock),
        lifecycle(Deps(), options) {
    rooms.rooms["room1"] = RoomFacts{"Room One", true};
    livekit.AddRoom("room1", 2, 2);
  }

  LifecycleDeps Deps() {
    LifecycleDeps d;
    d.livekit = &livekit;
    d.catalogue = &catalogue;
    d.locks = &locks;
    d.bus = &bus;
    d.webhooks = &webhooks;
    d.rooms = &rooms;
    d.timers = &clock;
    d.clock = &clock;
    d.random = &random;
    d.executor = ioc.get_executor();
    return d;
  }

  // Runs ready handlers until none is left.
  void Poll() {
    for (int i = 0; i < 100; ++i) {
      ioc.restart();
      if (ioc.poll() == 0) {
        return;
      }
    }
  }

  void Advance(Millis d) {
    clock.Advance(d);
    Poll();
  }

  // Starts a coroutine; its result appears in the returned slot once it has finished.
  template <typename T>
  std::shared_ptr<std::optional<T>> Spawn(Task<T> task) {
    auto slot = std::make_shared<std::optional<T>>();
    asio::co_spawn(
        ioc,
        [](Task<T> t, std::shared_ptr<std::optional<T>> s) -> Task<void> {
          s->emplace(co_await std::move(t));
        }(std::move(task), slot),
        asio::detached);
    Poll();
    return slot;
  }

  void Run(Task<void> task) {
    bool done = false;
    asio::co_spawn(
        ioc,
        [](Task<void> t, bool* d) -> Task<void> {
          co_await std::move(t);
          *d = true;
        }(std::move(task), &done),
        asio::detached);
    Poll();
    if (!done) {
      throw std::runtime_error("task did not finish without time passing");
    }
  }

  // Feeds an egress webhook built from the fake's current view of the egress.
  void Webhook(const std::string& event, const EgressInfo& e) {
    Run([](RecordingLifecycle* l, std::string ev, EgressInfo info) -> Task<void> {
      co_await l->OnEgressEvent(std::move(ev), std::move(info));
    }(&lifecycle, event, e));
  }
  EgressInfo Set(const std::string& egress_id, EgressStatus s) {
    return livekit.SetEgressStatus(egress_id, s);
  }

  std::optional<RecordingInfo> Stored(const std::string& id) {
    std::optional<RecordingInfo> out;
    Run([](RecordingCatalogue* c, std::string id, std::optional<RecordingInfo>* o) -> Task<void> {
      auto r = co_await c->Get(id);
      if (r.ok()) {
        *o = *r;
      }
    }(&catalogue, id, &out));
    return out;
  }

  std::optional<coordination::LockInfo> RoomLock(const std::string& room) {
    std::optional<coordination::LockInfo> out;
    Run([](coordination::LockService* l, std::string key,
           std::optional<coordination::LockInfo>* o) -> Task<void> {
      auto r = co_await l->Get(key);
      if (r.ok()) {
        *o = *r;
      }
    }(&locks, RoomLockKey(room), &out));
    return out;
  }

  std::string RecordingIdOf(const std::string& egress_id) {
    return *RecordingIdOfEgress(*livekit.Egress(egress_id));
  }

  asio::io_context ioc;
  fakes::FakeClock clock;
  fakes::MemoryObjectStore store;
  RecordingCatalogue catalogue;
  coordination::InProcessLockService locks;
  coordination::InProcessEventBus bus;
  fakes::FakeLiveKit livekit;
  FakeRooms rooms;
  RecordedWebhooks webhooks;
  SystemRandom random;
  RecordingLifecycle lifecycle;
};

}  // namespace mr::recording::testing
