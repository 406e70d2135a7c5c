#pragma once
// RecordingMaintenance: the self-healing jobs of the recording lifecycle — thin loops that fetch
// the inputs, call the pure planners of recording/jobs/ and apply their decisions (STYLE rule 3).
//   - RunLockKeeper (reference §6.6, Q15/Q16): renews the room locks of rooms with an egress in
//     progress, takes them again when they were lost (a Redis restarted without persistence; the
//     owner is then kRestoredLockOwner), and frees the others once older than the grace period.
//   - RunStaleCleanup (§6.7): stops egresses that stopped progressing in rooms nobody publishes
//     to (marking them aborted), and settles egresses stuck in ENDING as failed.
//   - RunReconciliation (start-up and with the stale cleanup): stored records that are not
//     finished are compared with LiveKit's egresses; finished egresses are applied, egresses
//     LiveKit no longer knows settle their record as aborted.
// app/ runs them with coordination::PeriodicRunner, once per fleet. Each returns the first
// error it met (after processing everything it could).
// Thread safety: the runs may overlap each other (not themselves).

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "coordination/lock_service.hpp"
#include "recording/lifecycle.hpp"
#include "recording/livekit_port.hpp"
#include "recording/recording_catalogue.hpp"
#include "recording/recording_options.hpp"

namespace mr::recording {

inline constexpr const char* kRestoredLockOwner = "lock-keeper";

struct MaintenanceDeps {
  LiveKit* livekit = nullptr;
  RecordingCatalogue* catalogue = nullptr;
  coordination::LockService* locks = nullptr;
  RecordingLifecycle* lifecycle = nullptr;
  const Clock* clock = nullptr;
};

class RecordingMaintenance {
 public:
  RecordingMaintenance(MaintenanceDeps deps, RecordingOptions options);

  Task<Status> RunLockKeeper();
  Task<Status> RunStaleCleanup();
  // Records younger than options.reconcile_min_age whose egress LiveKit does not list are left
  // alone (a start on another instance may not have its egress listed yet).
  Task<Status> RunReconciliation();

 private:
  MaintenanceDeps d_;
  RecordingOptions o_;
};

}  // namespace mr::recording
