#include <gtest/gtest.h>

#include "recording/jobs/reconciliation.hpp"

namespace mr::recording::jobs {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kMinAge = 60'000;

RecordingInfo Record(RecordingStatus status, std::optional<int64_t> start_date,
                     std::string id = "room--EG_abc--0123456789") {
  RecordingInfo r;
  r.recording_id = std::move(id);
  r.room_id = "room";
  r.status = status;
  r.start_date = start_date;
  return r;
}

EgressInfo Egress(EgressStatus status, std::string id = "EG_abc") {
  EgressInfo e;
  e.egress_id = std::move(id);
  e.room_name = "room";
  e.status = status;
  e.file_results.resize(1);
  return e;
}

TEST(ReconciliationTest, DecisionTable) {
  struct Case {
    const char* name;
    RecordingInfo record;
    std::optional<EgressInfo> egress;
    ReconcileAction want;
  };
  const int64_t old = kNow - 10 * kMinAge;
  const std::vector<Case> cases = {
      {"active, egress active", Record(RecordingStatus::kActive, old),
       Egress(EgressStatus::kActive), ReconcileAction::kKeep},
      {"starting, egress starting", Record(RecordingStatus::kStarting, old),
       Egress(EgressStatus::kStarting), ReconcileAction::kKeep},
      {"active, egress ending", Record(RecordingStatus::kActive, old),
       Egress(EgressStatus::kEnding), ReconcileAction::kKeep},
      {"ending, egress complete", Record(RecordingStatus::kEnding, old),
       Egress(EgressStatus::kComplete), ReconcileAction::kApplyEgress},
      {"active, egress failed", Record(RecordingStatus::kActive, old),
       Egress(EgressStatus::kFailed), ReconcileAction::kApplyEgress},
      {"starting, egress aborted", Record(RecordingStatus::kStarting, old),
       Egress(EgressStatus::kAborted), ReconcileAction::kApplyEgress},
      {"active, egress limit reached", Record(RecordingStatus::kActive, old),
       Egress(EgressStatus::kLimitReached), ReconcileAction::kApplyEgress},
      {"young, egress complete: applied at any age", Record(RecordingStatus::kActive, kNow),
       Egress(EgressStatus::kComplete), ReconcileAction::kApplyEgress},
      {"young, egress active", Record(RecordingStatus::kStarting, kNow - 1),
       Egress(EgressStatus::kActive), ReconcileAction::kKeep},
      {"absent, exactly min age", Record(RecordingStatus::kActive, kNow - kMinAge), std::nullopt,
       ReconcileAction::kMarkAborted},
      {"absent, 1 ms younger than min age", Record(RecordingStatus::kActive, kNow - kMinAge + 1),
       std::nullopt, ReconcileAction::kSkipTooYoung},
      {"absent, starting, old", Record(RecordingStatus::kStarting, old), std::nullopt,
       ReconcileAction::kMarkAborted},
      {"absent, ending, old", Record(RecordingStatus::kEnding, old), std::nullopt,
       ReconcileAction::kMarkAborted},
      {"absent, start date in the future", Record(RecordingStatus::kStarting, kNow + 5'000),
       std::nullopt, ReconcileAction::kSkipTooYoung},
      {"absent, no start date counts as old", Record(RecordingStatus::kStarting, std::nullopt),
       std::nullopt, ReconcileAction::kMarkAborted},
      {"terminal record, absent", Record(RecordingStatus::kComplete, old), std::nullopt,
       ReconcileAction::kKeep},
      {"terminal record, egress complete", Record(RecordingStatus::kAborted, old),
       Egress(EgressStatus::kComplete), ReconcileAction::kKeep},
  };
  const ReconcileOptions opts;
  for (const auto& c : cases) {
    const EgressInfo* egress = c.egress.has_value() ? &*c.egress : nullptr;
    EXPECT_EQ(DecideReconcile(kNow, opts, c.record, egress), c.want) << c.name;
  }
}

TEST(ReconciliationTest, PlanLooksUpEachRecordsEgressInOrder) {
  const int64_t old = kNow - 10 * kMinAge;
  const std::vector<RecordingInfo> records = {
      Record(RecordingStatus::kActive, old, "r1--EG_run--aaaaaaaaaa"),
      Record(RecordingStatus::kEnding, old, "r2--EG_done--bbbbbbbbbb"),
      Record(RecordingStatus::kActive, old, "r3--EG_gone--cccccccccc"),
      Record(RecordingStatus::kStarting, kNow - 1, "r4--EG_new--dddddddddd"),
      Record(RecordingStatus::kActive, old, "not-a-recording-id"),
  };
  const std::map<std::string, EgressInfo> egresses = {
      {"EG_run", Egress(EgressStatus::kActive, "EG_run")},
      {"EG_done", Egress(EgressStatus::kComplete, "EG_done")},
      {"EG_other", Egress(EgressStatus::kComplete, "EG_other")},
  };
  const auto plan = PlanReconciliation(kNow, ReconcileOptions{}, records, egresses);
  ASSERT_EQ(plan.size(), 5u);
  const std::vector<std::pair<std::string, ReconcileAction>> want = {
      {"EG_run", ReconcileAction::kKeep},         {"EG_done", ReconcileAction::kApplyEgress},
      {"EG_gone", ReconcileAction::kMarkAborted}, {"EG_new", ReconcileAction::kSkipTooYoung},
      {"", ReconcileAction::kMarkAborted},  // Names no egress LiveKit could know.
  };
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(plan[i].recording_id, records[i].recording_id);
    EXPECT_EQ(plan[i].egress_id, want[i].first) << i;
    EXPECT_EQ(plan[i].action, want[i].second) << i;
  }
  EXPECT_EQ(kEgressGoneError, "Egress no longer exists in LiveKit");
}

TEST(ReconciliationTest, MinAgeOption) {
  const ReconcileOptions opts{0};
  EXPECT_EQ(DecideReconcile(kNow, opts, Record(RecordingStatus::kStarting, kNow), nullptr),
            ReconcileAction::kMarkAborted);
}

}  // namespace
}  // namespace mr::recording::jobs
