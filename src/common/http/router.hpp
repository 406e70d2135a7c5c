#pragma once
// Router: maps (method, path) to a Handler, Express-style.
//
// Patterns are absolute paths whose segments are either literals, compared exactly against the
// still-percent-encoded request path, or ":name" captures that match one non-empty segment. A
// captured value is percent-decoded (no '+' to space) into Request::params; a malformed escape
// answers 400 {"error":"Bad Request","message":"Malformed path"} without calling the handler.
// A single trailing slash on the request path is ignored ("/a/b/" matches "/a/b"), as in Express's
// default non-strict routing. Routes are tried in registration order and the first match wins. A
// request that matches no route, including one whose path matches but whose method does not, goes
// to the fallback handler (default: 404 {"error":"Not Found","message":"Not Found"}).
//
// Thread safety: Add/SetFallback are for setup, before the server starts; Dispatch is const and may
// run concurrently from any number of connections afterwards.

#include <string>
#include <string_view>
#include <vector>

#include "common/http/http.hpp"

namespace mr::http {

class Router {
 public:
  Router();

  // Registers `h` for `method` (compared case-sensitively; use upper case) and `pattern`.
  // REQUIRES: `pattern` starts with '/'. Throws std::invalid_argument on a pattern with an empty
  // ":" capture name (a programming error caught at startup).
  void Add(std::string method, std::string pattern, Handler h);

  // Replaces the handler for unmatched requests.
  void SetFallback(Handler h);

  // Finds the route for `req` (method and path), fills req.params and runs its handler. Exceptions
  // thrown by handlers propagate to the caller (the server's one catch-all per request).
  Task<Response> Dispatch(Request& req) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // A capture is stored as ":name".
    Handler handler;
  };

  std::vector<Route> routes_;
  Handler fallback_;
};

// Splits a path on '/' after dropping the leading '/' and one trailing '/'. "/" and "" give no
// segments; "/a//b" gives {"a", "", "b"}. Exposed for tests.
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace mr::http
