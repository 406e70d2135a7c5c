#pragma once
// ChildProcess: a real server the tests start (redis-server, the S3 server, meet-recorder), with
// its output in a log file. It is stopped when the object is destroyed (SIGTERM, then SIGKILL
// after a bounded wait) and, should the test process die first, by the kernel: the child asks
// for SIGKILL when its parent exits (PR_SET_PDEATHSIG), so nothing outlives a crashed test.
// PR_SET_PDEATHSIG fires when the *thread* that forked exits: create children from a thread that
// lives as long as they do (the test's main thread).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mr::test {

// A loopback port free a moment ago and claimed for this process among all test processes of
// the machine (just below the ephemeral range; see the .cpp).
uint16_t FreeLoopbackPort();

// True when something accepts TCP connections on 127.0.0.1:port.
bool PortAcceptsConnections(uint16_t port);

class ChildProcess {
 public:
  // kInherit: the test's own environment plus `env`. kMinimal: only PATH=/usr/bin:/bin, the
  // sanitizer settings of the test run, and `env` (the service under test sees nothing else).
  enum class Environment { kInherit, kMinimal };

  // Starts argv[0] (a path, or a name looked up in PATH) with that environment. Output (stdout and
  // stderr) goes to `log_path`.
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env,
               std::filesystem::path log_path, Environment base = Environment::kInherit);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Polls `ready` every 20 ms until it answers true (returns) or `timeout` passes or the process
  // exits (throws std::runtime_error with the log).
  void WaitUntil(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                 const std::string& what);
  // SIGTERM, waits up to `grace`, then SIGKILL. Returns the exit code, or -signal.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(20));
  // SIGKILL and reap: a crash.
  void Kill();
  // Waits for the process to exit by itself; returns the exit code, or -signal.
  int Wait();
  std::string Log() const;
  const std::filesystem::path& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_path_;
};

}  // namespace mr::test
