#pragma once
// The HTTP contract between the server (common/http/server.*) and the route handlers (api/*).
// A handler is a coroutine that takes a parsed Request and returns a Response. Small bodies are
// strings; large bodies (media, ZIP) are produced by a `stream` coroutine that writes to a
// BodyWriter, so no handler ever holds a whole file in memory and no worker thread is held while a
// slow client reads.
// Thread safety: a Request/Response belongs to one connection coroutine at a time.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/async.hpp"
#include "common/json.hpp"
#include "common/status.hpp"

namespace mr::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // Upper case: "GET", "POST", ...
  std::string target;  // As received: path plus optional "?query".
  std::string path;    // Path part, still percent-encoded.
  std::vector<std::pair<std::string, std::string>> query;  // Decoded ('+' is a space), in order.
  HeaderList headers;  // Names lower-cased.
  std::string body;
  std::string remote_address;
  bool secure = false;  // The connection (or a trusted proxy) used TLS.

  // Filled by the router: the percent-decoded values of the pattern's ":name" segments.
  std::vector<std::pair<std::string, std::string>> params;

  // Header lookup by lower-case name; the first occurrence.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
  // First value of a query parameter.
  std::optional<std::string_view> Query(std::string_view name) const;
  // How many times a query parameter appears (a repeated one arrives as an array in Express).
  size_t QueryCount(std::string_view name) const;
  // A path parameter by name; empty if absent.
  std::string_view Param(std::string_view name) const;
};

// Where a streaming body goes. Write copies; SendFile sends bytes from a file without copying them
// through user space when the transport allows it (plain TCP), and copies otherwise.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  virtual Task<Status> Write(std::string_view data) = 0;
  virtual Task<Status> SendFile(int fd, uint64_t offset, uint64_t length) = 0;
};

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;

  // When set, the server sends the status and headers, then runs `stream`. With `stream_length`
  // the response has that Content-Length (the producer must write exactly that many bytes or the
  // connection is closed); without it the body is sent chunked. A failing producer closes the
  // connection: the client sees a truncated response, never a wrong one.
  std::function<Task<Status>(BodyWriter&)> stream;
  std::optional<uint64_t> stream_length;

  void SetHeader(std::string name, std::string value);

  static Response MakeJson(int status, const Json& body);
  // The reference's error envelope: {"error": name, "message": message}.
  static Response MakeError(int status, std::string_view error, std::string_view message);
};

using Handler = std::function<Task<Response>(Request&)>;

// Percent-decodes one path segment or query component. Returns nullopt on a malformed escape.
// `plus_is_space` is true for query components.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace mr::http
