#include "peers/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mr::test {

namespace {

// The first port of the kernel's ephemeral range (bind(0) and connect() take theirs from it).
int EphemeralLow() {
  std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  return (f >> low >> high) ? low : 32768;
}

bool CanBind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // As the servers bind.
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// Claims `port` for this process among every test process of the machine: a file per port,
// created exclusively, holding the claimer's pid; a dead claimer's file is removed.
bool Claim(const std::filesystem::path& dir, uint16_t port) {
  const std::filesystem::path file = dir / std::to_string(port);
  const int fd = ::open(file.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::ifstream in(file);
    pid_t owner = 0;
    if ((in >> owner) && !ProcessAlive(owner)) {
      std::error_code ec;
      std::filesystem::remove(file, ec);  // Taken on a later attempt, by whoever comes first.
    }
    return false;
  }
  const std::string pid = std::to_string(::getpid());
  const bool written = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  ::close(fd);
  return written;
}

}  // namespace

uint16_t FreeLoopbackPort() {
  // Ports just below the ephemeral range: no bind(0) or connect() of any process is handed one,
  // and concurrent test processes (ctest -j) never pick the same one, because each port is
  // claimed through a file. (Ports from bind(0) were seen taken by another test in between.)
  static std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  static std::mutex mu;
  std::lock_guard lock(mu);
  const int high = EphemeralLow();
  const int low = std::max(1024, high - 12000);
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "mr-test-ports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (int attempt = 0; attempt < 1000 && high - low > 100; ++attempt) {
    const auto port = static_cast<uint16_t>(low + random() % static_cast<unsigned>(high - low));
    if (Claim(dir, port) && CanBind(port)) {
      return port;
    }
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // Fallback: let the kernel choose.
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

bool PortAcceptsConnections(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env,
                           std::filesystem::path log_path, Environment base)
    : log_path_(std::move(log_path)) {
  // Built before fork: the child only calls async-signal-safe functions.
  std::map<std::string, std::string> merged;
  if (base == Environment::kInherit) {
    for (char** e = environ; *e != nullptr; ++e) {
      std::string kv(*e);
      if (auto eq = kv.find('='); eq != std::string::npos) {
        merged[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
    }
  } else {
    merged["PATH"] = "/usr/bin:/bin";
    for (const char* k : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
      if (const char* v = std::getenv(k)) {
        merged[k] = v;
      }
    }
  }
  for (auto& [k, v] : env) {
    merged[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) {
    env_strings.push_back(k);
    env_strings.back() += '=';
    env_strings.back() += v;
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& s : argv) {
    args.push_back(s.data());
  }
  args.push_back(nullptr);
  const char* log_file = log_path_.c_str();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      _exit(126);  // The parent died before prctl took effect.
    }
    ::setpgid(0, 0);  // Own group: a terminal's Ctrl-C reaches the test, which stops us.
    // open(), not fopen(): fopen allocates, and an allocator lock held by another thread at fork
    // time (ASan's allocator has no fork handler in GCC 12) would hang this child for ever.
    const int fd = ::open(log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);  // dup2 clears O_CLOEXEC on the copies.
      ::dup2(fd, 2);
    }
    ::execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() { Stop(); }

bool ChildProcess::running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void ChildProcess::WaitUntil(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                             const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      throw std::runtime_error(what + " exited during start-up:\n" + Log());
    }
    if (ready()) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  throw std::runtime_error(what + " did not become ready:\n" + Log());
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) {
    return 0;
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + grace;
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

void ChildProcess::Kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int ChildProcess::Wait() {
  if (pid_ <= 0) {
    return 0;
  }
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace mr::test
