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

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

pid_t Spawn(const std::map<std::string, std::string>& env, const std::vector<std::string>& args,
            const std::filesystem::path& log) {
  std::vector<std::string> env_strings = {"PATH=/usr/bin:/bin"};
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  // ASan/UBSan settings of the test run apply to the child too.
  for (const char* k : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* v = std::getenv(k)) {
      env_strings.push_back(std::string(k) + "=" + v);
    }
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {MR_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
  pid_ = Spawn(env, args, log_path_);
  // Bounded wait for /health (the sanitizer build starts slower).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("meet-recorder exited during start-up:\n" + Log());
    }
    try {
      if (TestHttpRequest(port_, "GET", ready_path).status == 200) {
        return;
      }
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  throw std::runtime_error("meet-recorder did not become healthy:\n" + Log());
}

ServiceProcess::~ServiceProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

int ServiceProcess::Stop() {
  if (pid_ <= 0) {
    return 0;
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string ServiceProcess::Log() const { return ReadAll(log_path_); }

void ServiceProcess::Kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
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
  pid_t pid = Spawn(env, args, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = ReadAll(log);
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
