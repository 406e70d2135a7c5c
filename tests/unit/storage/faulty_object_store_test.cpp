#include "fakes/faulty_object_store.hpp"

#include <gtest/gtest.h>

#include "fakes/memory_object_store.hpp"
#include "unit/storage/storage_test_env.hpp"

namespace mr::fakes {
namespace {

using Op = FaultyObjectStore::Op;
using storage::testing::Sync;

class FaultyObjectStoreTest : public ::testing::Test {
 protected:
  MemoryObjectStore inner_;
  FaultyObjectStore store_{inner_};
};

TEST_F(FaultyObjectStoreTest, ForwardsWhenHealthy) {
  ASSERT_TRUE(Sync(store_.Put("k", "v")).ok());
  EXPECT_EQ(*Sync(store_.Get("k")), "v");
  EXPECT_EQ(Sync(store_.Head("k"))->size, 1u);
  EXPECT_EQ(Sync(store_.List("", 10, std::nullopt))->objects.size(), 1u);
  EXPECT_TRUE(Sync(store_.Open("k", std::nullopt)).ok());
  EXPECT_TRUE(Sync(store_.DeleteMany({"k"})).ok());
  EXPECT_EQ(inner_.SizeForTest(), 0u);
  for (Op op : {Op::kPut, Op::kGet, Op::kHead, Op::kList, Op::kDeleteMany, Op::kOpen}) {
    EXPECT_EQ(store_.Calls(op), 1);
  }
}

TEST_F(FaultyObjectStoreTest, FailNextCountsDownAndQueues) {
  store_.FailNext(Op::kPut, UnavailableError("disk"), 2);
  store_.FailNext(Op::kPut, Status(StatusCode::kDestination, "403"));
  EXPECT_EQ(Sync(store_.Put("k", "v")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Sync(store_.Put("k", "v")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Sync(store_.Put("k", "v")).code(), StatusCode::kDestination);
  EXPECT_EQ(inner_.SizeForTest(), 0u);  // Failed calls never reach the inner store.
  EXPECT_TRUE(Sync(store_.Put("k", "v")).ok());
  EXPECT_EQ(store_.Calls(Op::kPut), 4);
  EXPECT_EQ(store_.Calls(Op::kGet), 0);
  // Other operations are unaffected.
  EXPECT_TRUE(Sync(store_.Get("k")).ok());
}

TEST_F(FaultyObjectStoreTest, FailAllUntilHeal) {
  ASSERT_TRUE(Sync(store_.Put("k", "v")).ok());
  store_.FailAll(Op::kGet, UnavailableError("down"));
  store_.FailAll(Op::kList, UnavailableError("down"));
  store_.FailNext(Op::kOpen, InternalError("boom"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Sync(store_.Get("k")).status().code(), StatusCode::kUnavailable);
  }
  EXPECT_EQ(Sync(store_.List("", 1, std::nullopt)).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Sync(store_.Head("k")).ok());
  store_.Heal();
  EXPECT_EQ(*Sync(store_.Get("k")), "v");
  EXPECT_TRUE(Sync(store_.List("", 1, std::nullopt)).ok());
  EXPECT_TRUE(Sync(store_.Open("k", std::nullopt)).ok());  // Heal also cleared FailNext.
  EXPECT_EQ(store_.Calls(Op::kGet), 4);
}

TEST_F(FaultyObjectStoreTest, InjectsIntoEveryOperation) {
  const Status err(StatusCode::kDestination, "storage refused");
  for (Op op : {Op::kPut, Op::kGet, Op::kHead, Op::kList, Op::kDeleteMany, Op::kOpen}) {
    store_.FailNext(op, err);
  }
  EXPECT_EQ(Sync(store_.Put("k", "v")).code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(store_.Get("k")).status().code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(store_.Head("k")).status().code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(store_.List("", 1, std::nullopt)).status().code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(store_.DeleteMany({"k"})).code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(store_.Open("k", std::nullopt)).status().code(), StatusCode::kDestination);
  // Each failure was used once.
  EXPECT_TRUE(Sync(store_.Put("k", "v")).ok());
  EXPECT_TRUE(Sync(store_.Get("k")).ok());
}

}  // namespace
}  // namespace mr::fakes
