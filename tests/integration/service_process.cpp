#include "service_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mr::test {

namespace {

std::vector<std::string> Argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

ServiceProcess::ServiceProcess(std::map<std::string, std::string> env, std::vector<std::string> args,
                               uint16_t port, std::string ready_path) {
  port_ = port;
  // Tests run in parallel: the embedded LiveKit of `serve` takes any free port, not 7880.
  env.emplace("MEET_EMBEDDED_LIVEKIT_PORT", "0");
  env.emplace("MEET_LKSIM_ENCODER", "none");
  if (port_ == 0) {
    port_ = FreePort();
    env["SERVER_PORT"] = std::to_string(port_);
  }
  log_path_ = std::filesystem::temp_directory_path() /
              ("mr-itest-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".log");
  process_ = std::make_unique<ChildProcess>(Argv(args), env, log_path_,
                                            ChildProcess::Environment::kMinimal);
  // Bounded wait for the ready path (the sanitizer build starts slower).
  process_->WaitUntil(
      [&] {
        try {
          return TestHttpRequest(port_, "GET", ready_path).status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(30), "meet-recorder " + (args.empty() ? std::string() : args[0]));
}

ServiceProcess::~ServiceProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

int ServiceProcess::Stop() {
  if (!process_) {
    return 0;
  }
  const int rc = process_->Stop(std::chrono::seconds(20));
  process_.reset();
  return rc;
}

std::string ServiceProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ServiceProcess::Kill() {
  if (process_) {
    process_->Kill();
    process_.reset();
  }
}

uint16_t ServiceProcess::EmbeddedLiveKitPort() const {
  const std::string marker = "\"embedded LiveKit listening\"";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    const std::string log = Log();
    size_t at = log.find(marker);
    if (at != std::string::npos) {
      const size_t line_end = log.find('\n', at);
      const size_t key = log.find("\"port\":", at);
      if (key != std::string::npos && (line_end == std::string::npos || key < line_end)) {
        return static_cast<uint16_t>(std::stoi(log.substr(key + 7)));
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("no \"embedded LiveKit listening\" line in the log:\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

CommandResult RunBinary(std::map<std::string, std::string> env, std::vector<std::string> args) {
  auto log = std::filesystem::temp_directory_path() /
             ("mr-itest-cmd-" + std::to_string(::getpid()) + ".log");
  CommandResult r;
  {
    ChildProcess process(Argv(args), env, log, ChildProcess::Environment::kMinimal);
    r.exit_code = process.Wait();
    r.output = process.Log();
  }
  std::filesystem::remove(log);
  return r;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("mr-itest-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

}  // namespace mr::test
