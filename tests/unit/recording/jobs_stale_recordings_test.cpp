#include <gtest/gtest.h>

#include "recording/jobs/stale_recordings.hpp"

namespace mr::recording::jobs {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;
constexpr int64_t kNsPerMs = 1'000'000;

EgressInfo Egress(EgressStatus status, int64_t updated_at_ns, bool recording = true) {
  EgressInfo e;
  e.egress_id = "EG_abc";
  e.room_name = "room";
  e.status = status;
  e.updated_at_ns = updated_at_ns;
  e.file_results.resize(1);
  e.stream_result_count = recording ? 0 : 1;
  return e;
}

int64_t AgoNs(int64_t ms) { return (kNow - ms) * kNsPerMs; }

const RoomPresence kGone{false, 0};
const RoomPresence kEmpty{true, 0};
const RoomPresence kPublished{true, 1};

TEST(StaleRecordingsTest, DecisionTable) {
  struct Case {
    const char* name;
    EgressInfo egress;
    std::optional<RoomPresence> presence;
    bool needs_room;
    StaleAction want;
  };
  const std::vector<Case> cases = {
      {"active, exactly 5 min old: not stale", Egress(EgressStatus::kActive, AgoNs(5 * kMin)),
       kGone, false, StaleAction::kKeep},
      {"active, 5 min + 1 ms, room gone", Egress(EgressStatus::kActive, AgoNs(5 * kMin + 1)), kGone,
       true, StaleAction::kAbort},
      {"active, 5 min + 1 ns rounds to 5 min + 1 ms",
       Egress(EgressStatus::kActive, AgoNs(5 * kMin) - 1), kGone, true, StaleAction::kAbort},
      {"active, stale, 0 publishers", Egress(EgressStatus::kActive, AgoNs(6 * kMin)), kEmpty, true,
       StaleAction::kAbort},
      {"active, stale, 1 publisher", Egress(EgressStatus::kActive, AgoNs(6 * kMin)), kPublished,
       true, StaleAction::kKeep},
      {"starting, stale, room gone", Egress(EgressStatus::kStarting, AgoNs(6 * kMin)), kGone, true,
       StaleAction::kAbort},
      {"active, stale, room not read", Egress(EgressStatus::kActive, AgoNs(6 * kMin)), std::nullopt,
       true, StaleAction::kKeep},
      {"active, fresh, room gone", Egress(EgressStatus::kActive, AgoNs(kMin)), kGone, false,
       StaleAction::kKeep},
      {"active, missing updatedAt", Egress(EgressStatus::kActive, 0), kGone, false,
       StaleAction::kKeep},
      {"active, negative updatedAt", Egress(EgressStatus::kActive, -5), kGone, false,
       StaleAction::kKeep},
      {"active, future updatedAt", Egress(EgressStatus::kActive, AgoNs(-kMin)), kGone, false,
       StaleAction::kKeep},
      {"ending, 6 min old, room gone: not aborted", Egress(EgressStatus::kEnding, AgoNs(6 * kMin)),
       kGone, false, StaleAction::kKeep},
      {"ending, exactly 10 min old", Egress(EgressStatus::kEnding, AgoNs(10 * kMin)), std::nullopt,
       false, StaleAction::kKeep},
      {"ending, 10 min + 1 ms old", Egress(EgressStatus::kEnding, AgoNs(10 * kMin + 1)),
       std::nullopt, false, StaleAction::kFailStuckEnding},
      {"ending, stuck, room has publishers", Egress(EgressStatus::kEnding, AgoNs(60 * kMin)),
       kPublished, false, StaleAction::kFailStuckEnding},
      {"ending, missing updatedAt", Egress(EgressStatus::kEnding, 0), std::nullopt, false,
       StaleAction::kKeep},
      {"complete, old, room gone", Egress(EgressStatus::kComplete, AgoNs(60 * kMin)), kGone, false,
       StaleAction::kKeep},
      {"aborted, old, room gone", Egress(EgressStatus::kAborted, AgoNs(60 * kMin)), kGone, false,
       StaleAction::kKeep},
      {"not a recording egress, stale, room gone",
       Egress(EgressStatus::kActive, AgoNs(60 * kMin), false), kGone, false, StaleAction::kKeep},
      {"not a recording egress, ending stuck",
       Egress(EgressStatus::kEnding, AgoNs(60 * kMin), false), kGone, false, StaleAction::kKeep},
  };
  const StaleOptions opts;
  for (const auto& c : cases) {
    EXPECT_EQ(NeedsRoomPresence(kNow, opts, c.egress), c.needs_room) << c.name;
    EXPECT_EQ(DecideStale(kNow, opts, c.egress, c.presence), c.want) << c.name;
  }
}

TEST(StaleRecordingsTest, OptionsAreHonoured) {
  const StaleOptions opts{1000, 2000};
  EXPECT_EQ(DecideStale(kNow, opts, Egress(EgressStatus::kActive, AgoNs(1001)), kEmpty),
            StaleAction::kAbort);
  EXPECT_EQ(DecideStale(kNow, opts, Egress(EgressStatus::kActive, AgoNs(1000)), kEmpty),
            StaleAction::kKeep);
  EXPECT_EQ(DecideStale(kNow, opts, Egress(EgressStatus::kEnding, AgoNs(2001)), std::nullopt),
            StaleAction::kFailStuckEnding);
  EXPECT_EQ(DecideStale(kNow, opts, Egress(EgressStatus::kEnding, AgoNs(2000)), std::nullopt),
            StaleAction::kKeep);
}

TEST(StaleRecordingsTest, CandidatesAreOnlyStaleRunningRecordingsInOrder) {
  std::vector<EgressInfo> egresses = {
      Egress(EgressStatus::kActive, AgoNs(6 * kMin)),         // candidate
      Egress(EgressStatus::kActive, AgoNs(kMin)),             // fresh
      Egress(EgressStatus::kEnding, AgoNs(60 * kMin)),        // watchdog, no room needed
      Egress(EgressStatus::kStarting, AgoNs(7 * kMin)),       // candidate
      Egress(EgressStatus::kActive, 0),                       // unknown age
      Egress(EgressStatus::kActive, AgoNs(6 * kMin), false),  // not a recording
  };
  egresses[0].egress_id = "EG_first";
  egresses[3].egress_id = "EG_second";
  const auto got = StaleCandidates(kNow, StaleOptions{}, egresses);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].egress_id, "EG_first");
  EXPECT_EQ(got[1].egress_id, "EG_second");
  EXPECT_TRUE(StaleCandidates(kNow, StaleOptions{}, {}).empty());
}

TEST(StaleRecordingsTest, UpdatedAtMs) {
  EXPECT_EQ(UpdatedAtMs(Egress(EgressStatus::kActive, 0)), std::nullopt);
  EXPECT_EQ(UpdatedAtMs(Egress(EgressStatus::kActive, -1)), std::nullopt);
  EXPECT_EQ(UpdatedAtMs(Egress(EgressStatus::kActive, 1'999'999)), 1);
  EXPECT_EQ(UpdatedAtMs(Egress(EgressStatus::kActive, kNow * kNsPerMs)), kNow);
}

}  // namespace
}  // namespace mr::recording::jobs
