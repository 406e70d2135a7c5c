#include "recording/in_progress_egresses.hpp"

#include <utility>

#include "recording/egress_record.hpp"

namespace mr::recording {

Task<Result<std::vector<EgressInfo>>> ListInProgressRecordingEgresses(
    LiveKit& livekit, std::optional<std::string> room_name) {
  ListEgressFilter filter;
  filter.room_name = std::move(room_name);
  filter.active = true;
  auto listed = co_await livekit.ListEgress(std::move(filter));
  if (!listed.ok()) {
    if (listed.status().code() == StatusCode::kNotFound) {
      co_return std::vector<EgressInfo>{};
    }
    co_return listed.status();
  }
  std::vector<EgressInfo> out;
  for (auto& e : *listed) {
    if (IsRecordingEgress(e) && IsInProgress(e.status)) {
      out.push_back(std::move(e));
    }
  }
  co_return out;
}

}  // namespace mr::recording
