#pragma once
// FaultProxy: an HTTP/1.1 reverse proxy on a free 127.0.0.1 port in front of an upstream server
// on 127.0.0.1 (the S3 server in the fleet tests), whose behaviour the test switches at run time
// to simulate an outage of the upstream:
//   - PassThrough(): each request is forwarded on a new upstream connection and the upstream's
//     reply returned as it is. The request is forwarded unchanged, Host header included: a
//     Signature V4 client signs the Host it sent (the proxy's host:port) and s3rver checks the
//     signature against the Host it receives, so rewriting it would break every request;
//   - Fail(status): every request is answered `status` with an S3-style XML error body, without
//     contacting the upstream (a 503 SlowDown/ServiceUnavailable, a 500 InternalError, ...);
//   - FailMethods({"PUT","POST","DELETE"}, status): only those methods fail, the others pass
//     (writes down while reads work, or the reverse);
//   - Hang(): requests are read and never answered until the mode changes (they are then closed
//     without an answer, as a dead server's would be), the client gives up, or the proxy is
//     destroyed;
//   - Delay(d): pass-through after holding each request for `d` (slow storage).
// A request is judged by the mode when it has been read; switching modes does not touch requests
// already being forwarded. Connections are kept alive when both sides allow it.
//
// Thread safety: the proxy runs on its own thread; every public method may be called from any
// thread. The destructor stops the thread and closes every connection (bounded: no wait on any
// peer).

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace mr::test {

class FaultProxy {
 public:
  // What happened to one request (for assertions: "this PUT failed, then was retried and passed").
  struct Entry {
    std::string method;
    std::string target;
    // "forwarded <status>", "failed <status>", "hung", "upstream error"
    std::string outcome;
  };

  explicit FaultProxy(uint16_t upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  uint16_t port() const;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port()); }

  void PassThrough();
  void Fail(int status);
  void FailMethods(std::set<std::string> methods, int status);
  void Hang();
  void Delay(std::chrono::milliseconds delay);

  // Requests read from clients so far, whatever their fate.
  uint64_t requests_seen() const;
  // Requests answered with an injected error.
  uint64_t requests_failed() const;
  // Requests held by Hang() (released or not).
  uint64_t requests_hung() const;
  // Every request seen, in order.
  std::vector<Entry> Journal() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mr::test
