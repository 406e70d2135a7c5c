#pragma once
// A blocking HTTP/1.1 request to 127.0.0.1 for tests: one new connection per call, its own
// io_context, so it may be called from a test thread while the server runs on other threads.
// Thread safety: each call is independent; safe from any thread except one running the server's
// io_context when that io_context has a single thread (it would deadlock the server).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/http/http.hpp"

namespace mr::test {

using http::HeaderList;

struct TestHttpResponse {
  int status = 0;
  HeaderList headers;  // Names lower-cased, in received order.
  std::string body;

  // The first header with this lower-case name.
  std::optional<std::string> Header(std::string_view lower_name) const;
};

// Sends `method target` with `headers` and `body` (Content-Length set when the body is non-empty
// or the method is POST/PUT/PATCH) and reads the whole response. Throws std::runtime_error if
// the connection fails or no complete response arrives within 10 seconds.
TestHttpResponse TestHttpRequest(uint16_t port, std::string method, std::string target,
                                 HeaderList headers = {}, std::string body = {});

}  // namespace mr::test
