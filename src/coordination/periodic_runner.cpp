#include "coordination/periodic_runner.hpp"

#include <boost/asio/detached.hpp>
#include <cassert>
#include <charconv>
#include <deque>
#include <exception>
#include <utility>
#include <vector>

#include "common/logging.hpp"
#include "common/one_shot.hpp"

namespace mr::coordination {
namespace {

struct TaskEntry {
  PeriodicTaskOptions options;
  PeriodicFn fn;
  // All guarded by State::mu.
  uint64_t run_count = 0;
  bool running = false;                        // A run holds the task's turn.
  std::deque<std::shared_ptr<OneShot>> queue;  // Runs waiting for the turn, oldest first.
  std::shared_ptr<TimerHandle> timer;          // The pending scheduled run, if any.
};

}  // namespace

struct PeriodicRunner::State {
  State(asio::any_io_executor e, Timers& t, Random& r)
      : executor(std::move(e)), timers(t), random(r) {}

  asio::any_io_executor executor;
  Timers& timers;
  Random& random;

  std::mutex mu;
  std::map<std::string, std::shared_ptr<TaskEntry>> tasks;  // Guarded by mu.
  bool started = false;                                     // Guarded by mu.
  bool stopping = false;                                    // Guarded by mu.
  // Runs in flight (running or waiting for their task's turn). Guarded by mu.
  size_t active = 0;
  std::vector<std::shared_ptr<OneShot>> drain_waiters;  // Stop() calls waiting; guarded by mu.
};

namespace {

using State = PeriodicRunner::State;

Status StoppedError() { return UnavailableError("periodic runner stopped"); }

// Ends one in-flight run; wakes Stop() when it was the last one.
void EndActive(State& s) {
  std::vector<std::shared_ptr<OneShot>> wake;
  {
    std::lock_guard lock(s.mu);
    assert(s.active > 0);
    if (--s.active == 0) {
      wake.swap(s.drain_waiters);
    }
  }
  for (auto& w : wake) {
    w->Set();
  }
}

// Hands the task's turn to the oldest waiting run, or frees it.
void PassTurn(State& s, TaskEntry& e, bool completed_run) {
  std::shared_ptr<OneShot> next;
  {
    std::lock_guard lock(s.mu);
    if (completed_run) {
      ++e.run_count;
    }
    if (e.queue.empty()) {
      e.running = false;
    } else {
      next = std::move(e.queue.front());
      e.queue.pop_front();
    }
  }
  if (next) {
    next->Set();
  }
}

// The entry point's catch-all (STYLE rule 5): a throwing task is a failed run, not a dead task.
Status LogThrown(const std::string& name, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::Error("periodic task threw", {{"task", name}, {"error", e.what()}});
    return InternalError("periodic task " + name + " threw: " + e.what());
  } catch (...) {
    log::Error("periodic task threw", {{"task", name}, {"error", "unknown exception"}});
    return InternalError("periodic task " + name + " threw");
  }
}

// Runs `e` once when it gets its turn. REQUIRES: the caller counted this run in `active`.
Task<Status> RunOnce(std::shared_ptr<State> s, std::shared_ptr<TaskEntry> e) {
  std::shared_ptr<OneShot> turn;
  bool stopped = false;
  {
    std::lock_guard lock(s->mu);
    if (s->stopping) {
      stopped = true;
    } else if (!e->running) {
      e->running = true;
    } else {
      turn = OneShot::Make();
      e->queue.push_back(turn);
    }
  }
  if (turn) {
    co_await turn->Wait();
    // Runs queued behind the one Stop() waits for are dropped, so Stop() waits for one run per
    // task at most; each passes the turn on so the rest of the queue drains too.
    std::lock_guard lock(s->mu);
    stopped = s->stopping;
  }
  if (stopped) {
    if (turn) {
      PassTurn(*s, *e, /*completed_run=*/false);
    }
    EndActive(*s);
    co_return StoppedError();
  }

  Status status;
  std::exception_ptr error;
  try {
    status = co_await e->fn();
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    status = LogThrown(e->options.name, error);
  } else if (!status.ok()) {
    log::Warn("periodic task failed", {{"task", e->options.name}, {"status", status.ToString()}});
  }
  PassTurn(*s, *e, /*completed_run=*/true);
  EndActive(*s);
  co_return status;
}

Millis Jitter(Random& random, Millis jitter) {
  if (jitter <= Millis{0}) {
    return Millis{0};
  }
  const std::string hex = random.SecureHex(8);
  uint64_t value = 0;
  std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  return Millis{static_cast<int64_t>(value % (static_cast<uint64_t>(jitter.count()) + 1))};
}

Task<void> RunScheduled(std::shared_ptr<State> s, std::shared_ptr<TaskEntry> e);

// Arms the timer for the task's next scheduled run.
void ScheduleNext(const std::shared_ptr<State>& s, const std::shared_ptr<TaskEntry>& e,
                  bool last_ok) {
  {
    // A run that ends after the runner was destroyed must not touch the injected Random, which
    // may be gone by then; the destructor sets `stopping`.
    std::lock_guard lock(s->mu);
    if (s->stopping) {
      return;
    }
  }
  const PeriodicTaskOptions& o = e->options;
  Millis delay = (last_ok || o.retry_period <= Millis{0}) ? o.interval : o.retry_period;
  delay += Jitter(s->random, o.jitter);
  std::weak_ptr<State> weak = s;
  std::lock_guard lock(s->mu);
  if (s->stopping) {
    return;
  }
  // Timers never call back inline, so arming under mu cannot deadlock.
  e->timer = s->timers.After(delay, [weak, e] {
    auto s = weak.lock();
    if (!s) {
      return;
    }
    {
      std::lock_guard lock(s->mu);
      if (s->stopping) {
        return;
      }
      e->timer.reset();
      ++s->active;
    }
    asio::co_spawn(s->executor, RunScheduled(s, e), asio::detached);
  });
}

// REQUIRES: the caller counted this run in `active`.
Task<void> RunScheduled(std::shared_ptr<State> s, std::shared_ptr<TaskEntry> e) {
  Status status = co_await RunOnce(s, e);
  ScheduleNext(s, e, status.ok());
}

// Sets `stopping` and cancels every pending timer.
void StopScheduling(State& s) {
  std::vector<std::shared_ptr<TimerHandle>> timers;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
    for (auto& [name, e] : s.tasks) {
      if (e->timer) {
        timers.push_back(std::move(e->timer));
        e->timer.reset();
      }
    }
  }
  for (auto& t : timers) {
    t->Cancel();
  }
}

}  // namespace

PeriodicRunner::PeriodicRunner(asio::any_io_executor executor, Timers& timers, Random& random)
    : state_(std::make_shared<State>(std::move(executor), timers, random)) {}

PeriodicRunner::~PeriodicRunner() { StopScheduling(*state_); }

void PeriodicRunner::Add(PeriodicTaskOptions options, PeriodicFn fn) {
  auto e = std::make_shared<TaskEntry>();
  std::string name = options.name;
  e->options = std::move(options);
  e->fn = std::move(fn);
  std::lock_guard lock(state_->mu);
  assert(!state_->started);
  [[maybe_unused]] bool inserted = state_->tasks.emplace(std::move(name), std::move(e)).second;
  assert(inserted);
}

void PeriodicRunner::Start() {
  std::vector<std::shared_ptr<TaskEntry>> at_start;
  std::vector<std::shared_ptr<TaskEntry>> later;
  {
    std::lock_guard lock(state_->mu);
    if (state_->started || state_->stopping) {
      return;
    }
    state_->started = true;
    for (auto& [name, e] : state_->tasks) {
      if (e->options.run_at_start) {
        ++state_->active;
        at_start.push_back(e);
      } else {
        later.push_back(e);
      }
    }
  }
  // The first run is spawned directly rather than through a zero-delay timer, so it starts as
  // soon as the executor runs (a FakeClock only fires timers inside Advance()).
  for (auto& e : at_start) {
    asio::co_spawn(state_->executor, RunScheduled(state_, e), asio::detached);
  }
  for (auto& e : later) {
    ScheduleNext(state_, e, /*last_ok=*/true);
  }
}

Task<void> PeriodicRunner::Stop() {
  StopScheduling(*state_);
  auto drained = OneShot::Make();
  {
    std::lock_guard lock(state_->mu);
    if (state_->active > 0) {
      state_->drain_waiters.push_back(drained);
    } else {
      drained->Set();
    }
  }
  co_await drained->Wait();
}

Task<Status> PeriodicRunner::RunNow(std::string name) {
  std::shared_ptr<TaskEntry> e;
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->tasks.find(name);
    if (it == state_->tasks.end()) {
      co_return NotFoundError("no periodic task " + name);
    }
    if (state_->stopping) {
      co_return StoppedError();
    }
    e = it->second;
    ++state_->active;
  }
  co_return co_await RunOnce(state_, std::move(e));
}

uint64_t PeriodicRunner::RunCount(const std::string& name) {
  std::lock_guard lock(state_->mu);
  auto it = state_->tasks.find(name);
  return it == state_->tasks.end() ? 0 : it->second->run_count;
}

namespace {

Task<Status> RunOncePerFleet(LockService& locks, std::string name, std::string instance_id,
                             Millis lock_ttl, PeriodicFn fn) {
  std::string key = "mr:task:" + name;
  Result<bool> acquired = co_await locks.Acquire(key, instance_id, lock_ttl);
  if (!acquired.ok()) {
    co_return acquired.status();
  }
  if (!*acquired) {
    log::Debug("periodic task skipped: another instance holds its lock",
               {{"task", name}, {"key", key}});
    co_return Status::Ok();
  }
  log::Debug("periodic task running", {{"task", name}, {"instance", instance_id}});
  co_return co_await fn();
}

}  // namespace

PeriodicFn OncePerFleet(LockService& locks, std::string name, std::string instance_id,
                        Millis lock_ttl, PeriodicFn fn) {
  // The coroutine takes copies, so it does not depend on this lambda outliving the run.
  return [&locks, name = std::move(name), instance_id = std::move(instance_id), lock_ttl,
          fn = std::move(fn)]() { return RunOncePerFleet(locks, name, instance_id, lock_ttl, fn); };
}

}  // namespace mr::coordination
