#include "recording/jobs/reconciliation.hpp"

#include <utility>

#include "recording/ids.hpp"
#include "recording/jobs/lock_keeper.hpp"

namespace mr::recording::jobs {

ReconcileAction DecideReconcile(int64_t now_ms, const ReconcileOptions& opts,
                                const RecordingInfo& record, const EgressInfo* egress) {
  if (IsFinished(record.status)) {
    return ReconcileAction::kKeep;
  }
  if (egress != nullptr) {
    return IsInProgress(egress->status) ? ReconcileAction::kKeep : ReconcileAction::kApplyEgress;
  }
  if (record.start_date.has_value() && now_ms - *record.start_date < opts.min_age_ms) {
    return ReconcileAction::kSkipTooYoung;
  }
  return ReconcileAction::kMarkAborted;
}

std::vector<ReconcileDecision> PlanReconciliation(
    int64_t now_ms, const ReconcileOptions& opts, const std::vector<RecordingInfo>& records,
    const std::map<std::string, EgressInfo>& egresses_by_id) {
  std::vector<ReconcileDecision> out;
  out.reserve(records.size());
  for (const RecordingInfo& r : records) {
    ReconcileDecision d{r.recording_id, "", ReconcileAction::kKeep};
    const EgressInfo* egress = nullptr;
    if (auto parts = ParseRecordingId(r.recording_id)) {
      d.egress_id = parts->egress_id;
      if (auto it = egresses_by_id.find(d.egress_id); it != egresses_by_id.end()) {
        egress = &it->second;
      }
    }
    d.action = DecideReconcile(now_ms, opts, r, egress);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace mr::recording::jobs
