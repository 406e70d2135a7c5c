#pragma once
// A scripted HttpClient for the S3 store's unit tests: every request is recorded and answered by
// a handler the test sets (or by a queue of canned outcomes), synchronously, without a network.
// Used with FakeClock, so retry backoffs are driven by Advance() and no test sleeps.

#include <deque>
#include <functional>
#include <optional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/detached.hpp>

#include "common/http_client.hpp"
#include "common/random.hpp"
#include "fakes/fake_clock.hpp"

namespace mr::storage::testing {

class ScriptedHttp final : public HttpClient {
 public:
  using Handler = std::function<Result<HttpClientResponse>(const HttpClientRequest&)>;

  // Outcomes returned in order, before the handler is used.
  void Queue(Result<HttpClientResponse> r) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(r));
  }
  void SetHandler(Handler h) {
    std::lock_guard lock(mu_);
    handler_ = std::move(h);
  }
  std::vector<HttpClientRequest> Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  Task<Result<HttpClientResponse>> Send(HttpClientRequest request) override {
    co_return Answer(std::move(request));
  }

 private:
  Result<HttpClientResponse> Answer(HttpClientRequest request) {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (!queue_.empty()) {
      Result<HttpClientResponse> r = std::move(queue_.front());
      queue_.pop_front();
      return r;
    }
    if (handler_) {
      return handler_(request);
    }
    return UnavailableError("no scripted answer");
  }

  mutable std::mutex mu_;
  std::deque<Result<HttpClientResponse>> queue_;  // Guarded by mu_.
  Handler handler_;                               // Guarded by mu_.
  std::vector<HttpClientRequest> requests_;       // Guarded by mu_.
};

// Always the same "random" hex: all 'f' makes every backoff its ceiling, all '0' makes it zero.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(char digit) : digit_(digit) {}
  std::string SecureHex(size_t n) override { return std::string(n, digit_); }
  std::string SecureString(size_t n, const std::string& alphabet) override {
    return std::string(n, alphabet.empty() ? 'a' : alphabet[0]);
  }

 private:
  char digit_;
};

inline HttpClientResponse Reply(int status, std::string body = {}, HttpHeaderList headers = {}) {
  HttpClientResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

inline std::string ErrorXml(const std::string& code) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>";
  x += code;
  x += "</Code><Message>scripted ";
  x += code;
  x += "</Message></Error>";
  return x;
}

// The value of header `name` (exact case-insensitive match) in a request, or "".
inline std::string HeaderOf(const HttpClientRequest& r, std::string_view name) {
  HttpClientResponse tmp;
  tmp.headers = r.headers;
  return std::string(tmp.Header(name).value_or(""));
}

// Runs `task` on `ioc`, advancing `clock` by `step` whenever the coroutine is idle, at most
// `max_steps` times (then gives up: the test fails on the unset result).
template <typename T>
std::optional<T> RunWithClock(Task<T> task, fakes::FakeClock& clock, Millis step,
                              int max_steps = 10000) {
  asio::io_context ioc;
  std::optional<T> out;
  auto wrapper = [](Task<T> t, std::optional<T>* o) -> Task<void> {
    o->emplace(co_await std::move(t));
  };
  asio::co_spawn(ioc, wrapper(std::move(task), &out), asio::detached);
  for (int i = 0; i < max_steps && !out; ++i) {
    ioc.restart();
    ioc.poll();
    if (!out) {
      clock.Advance(step);
    }
  }
  ioc.restart();
  ioc.poll();
  return out;
}

}  // namespace mr::storage::testing
