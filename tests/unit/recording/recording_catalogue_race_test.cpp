// A Save racing with a Delete of the same recording never brings the record back (issue 4:
// "room deleted during recording" — a late egress webhook landing while its room's recordings are
// deleted).

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "common/one_shot.hpp"
#include "fakes/memory_object_store.hpp"
#include "recording/recording_catalogue.hpp"

namespace mr::recording {
namespace {

// Holds every Put until the gate opens, so a Delete can run in between.
class GatedStore final : public ObjectStore {
 public:
  explicit GatedStore(ObjectStore& inner) : inner_(inner) {}
  std::shared_ptr<OneShot> gate;
  Task<Status> Put(std::string key, std::string body) override {
    if (gate) {
      auto g = gate;
      co_await g->Wait();
    }
    co_return co_await inner_.Put(std::move(key), std::move(body));
  }
  Task<Result<std::string>> Get(std::string key) override { return inner_.Get(std::move(key)); }
  Task<Result<ObjectInfo>> Head(std::string key) override { return inner_.Head(std::move(key)); }
  Task<Result<ListPage>> List(std::string prefix, int max_keys,
                              std::optional<std::string> token) override {
    return inner_.List(std::move(prefix), max_keys, std::move(token));
  }
  Task<Status> DeleteMany(std::vector<std::string> keys) override {
    return inner_.DeleteMany(std::move(keys));
  }
  Task<Result<std::unique_ptr<ObjectReader>>> Open(std::string key,
                                                   std::optional<ByteRange> range) override {
    return inner_.Open(std::move(key), range);
  }

 private:
  ObjectStore& inner_;
};

RecordingInfo Record() {
  RecordingInfo r;
  r.recording_id = "room--EG_a--uid";
  r.room_id = "room";
  r.room_name = "Room";
  r.status = RecordingStatus::kComplete;
  r.start_date = 1;
  return r;
}

TEST(RecordingCatalogueRaceTest, SaveLandingAfterADeleteIsUndone) {
  asio::io_context ioc;
  fakes::MemoryObjectStore memory;
  GatedStore store(memory);
  RecordingCatalogue catalogue(store, StorageLayout("openvidu-meet"));
  RunTask(ioc, catalogue.Save(Record()));

  store.gate = OneShot::Make();
  std::optional<Status> saved;
  asio::co_spawn(
      ioc,
      [](RecordingCatalogue* c, std::optional<Status>* out) -> Task<void> {
        out->emplace(co_await c->Save(Record()));
      }(&catalogue, &saved),
      asio::detached);
  ioc.restart();
  ioc.poll();
  ASSERT_FALSE(saved.has_value()) << "the Save waits inside Put";

  // The suspended Save keeps the io_context busy, so the Delete is polled, not run.
  std::optional<Status> deleted;
  asio::co_spawn(
      ioc,
      [](RecordingCatalogue* c, std::optional<Status>* out) -> Task<void> {
        std::vector<std::string> ids;
        ids.push_back("room--EG_a--uid");
        out->emplace(co_await c->Delete(ids));
      }(&catalogue, &deleted),
      asio::detached);
  ioc.restart();
  ioc.poll();
  ASSERT_TRUE(deleted.has_value());
  EXPECT_TRUE(deleted->ok());
  store.gate->Set();
  ioc.restart();
  ioc.poll();
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->code(), StatusCode::kConflict);
  auto got = RunTask(ioc, catalogue.Get("room--EG_a--uid"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value()) << "the record stays deleted";
  EXPECT_EQ(RunTask(ioc, catalogue.Save(Record())).code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace mr::recording
