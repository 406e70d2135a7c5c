#pragma once
// PeriodicRunner: the one periodic-task primitive (STYLE rule 9; reference §6.5 with Q8 fixed:
// a failed run never unschedules a task). Each task runs once at Start() (unless
// run_at_start = false), then every `interval` (plus a random jitter of up to `jitter`), or after
// `retry_period` when the last run failed. Runs of one task never overlap. Time comes from the
// injected Timers, so tests drive it with FakeClock::Advance().
//
// Details: the next delay is measured from the end of a run. The jitter is added to the retry
// period too, so a fleet that failed together does not retry together. A run fails when the task
// returns a non-OK Status or throws; an exception is caught, logged and treated as a failed run.
// A run requested while another run of the same task is in progress (a due timer, RunNow) waits
// for that run to finish and then runs; waiting runs go in request order. RunNow does not move the
// schedule. The run at Start() is posted to the executor directly, not through a timer.
//
// OncePerFleet() wraps a task so that only one instance of a fleet runs it per interval: it
// takes the lock `mr:task:{name}` (owner = this instance) for the interval minus a little and
// skips the run if another instance holds it. The lock is left to expire, like the reference.
//
// Thread safety: Add() before Start(); RunNow()/Stop() from any thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/async.hpp"
#include "common/random.hpp"
#include "common/status.hpp"
#include "common/timers.hpp"
#include "coordination/lock_service.hpp"

namespace mr::coordination {

using PeriodicFn = std::function<Task<Status>()>;

struct PeriodicTaskOptions {
  std::string name;
  Millis interval{60000};
  Millis jitter{0};        // Added to each interval: uniform in [0, jitter].
  Millis retry_period{0};  // After a failed run; 0 = interval.
  bool run_at_start = true;
};

class PeriodicRunner {
 public:
  // `executor` runs the tasks' coroutines. All references must outlive the runner.
  PeriodicRunner(asio::any_io_executor executor, Timers& timers, Random& random);
  // Cancels pending timers. A run in progress is not waited for; call Stop() first for that.
  ~PeriodicRunner();

  // REQUIRES: a new name; before Start().
  void Add(PeriodicTaskOptions options, PeriodicFn fn);
  void Start();
  // Cancels pending timers and waits for running tasks to finish. No run starts afterwards; runs
  // still waiting for their turn end with kUnavailable. REQUIRES: not called from inside a task.
  Task<void> Stop();
  // Runs the task now (outside its schedule, still never overlapping itself) and returns its
  // status; kNotFound for an unknown name, kUnavailable after Stop().
  Task<Status> RunNow(std::string name);
  // Completed runs of the task, failed ones included (tests, metrics); 0 for an unknown name.
  uint64_t RunCount(const std::string& name);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// See the file comment. `lock_ttl` = max(interval - 1 s, 1 s) is a good value.
PeriodicFn OncePerFleet(LockService& locks, std::string name, std::string instance_id,
                        Millis lock_ttl, PeriodicFn fn);

}  // namespace mr::coordination
