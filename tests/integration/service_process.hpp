#pragma once
// ServiceProcess: starts the real `meet-recorder serve` binary on a free 127.0.0.1 port with a
// given environment, waits until /health answers, and stops it (SIGTERM, then SIGKILL) when
// destroyed. Output goes to a log file kept next to the storage folder for failure reports.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "peers/child_process.hpp"
#include "test_http.hpp"

namespace mr::test {

// A port that was free a moment ago (bind to 0, read it, close).
inline uint16_t FreePort() { return FreeLoopbackPort(); }

class ServiceProcess {
 public:
  // `env` is added to a minimal environment (PATH). With `port` 0, SERVER_PORT is set to a free
  // port here; otherwise the caller configured the port (e.g. `lksim`). Ready when `ready_path`
  // answers 200.
  explicit ServiceProcess(std::map<std::string, std::string> env,
                          std::vector<std::string> args = {"serve"}, uint16_t port = 0,
                          std::string ready_path = "/health");
  ~ServiceProcess();

  uint16_t port() const { return port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // Sends SIGTERM and waits for the exit; returns the exit status (or -signal).
  int Stop();
  // Sends SIGKILL and reaps the process (a crash: no drain, no snapshot).
  void Kill();
  // The port of the embedded LiveKit (lksim) of `serve`, read from the log line "embedded LiveKit
  // listening" (waits up to 10 s for it); throws if it never appears.
  uint16_t EmbeddedLiveKitPort() const;
  std::string Log() const;

  TestHttpResponse Get(const std::string& target, HeaderList headers = {}) const {
    return TestHttpRequest(port_, "GET", target, std::move(headers));
  }
  TestHttpResponse Request(const std::string& method, const std::string& target,
                           HeaderList headers = {}, std::string body = {}) const {
    return TestHttpRequest(port_, method, target, std::move(headers), std::move(body));
  }

 private:
  uint16_t port_ = 0;
  std::filesystem::path log_path_;
  std::unique_ptr<ChildProcess> process_;
};

// Runs the binary to completion (e.g. `reindex`), returning exit code and combined output.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunBinary(std::map<std::string, std::string> env, std::vector<std::string> args);

// A temporary folder removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void WriteFile(const std::filesystem::path& p, const std::string& content);

}  // namespace mr::test
