#include "common/http/router.hpp"

#include <stdexcept>
#include <utility>

namespace mr::http {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  if (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path.empty()) {
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

Router::Router() {
  fallback_ = [](Request&) -> Task<Response> {
    co_return Response::MakeError(404, "Not Found", "Not Found");
  };
}

void Router::Add(std::string method, std::string pattern, Handler h) {
  Route route;
  route.method = std::move(method);
  for (std::string_view seg : SplitPath(pattern)) {
    if (seg == ":") {
      throw std::invalid_argument("route pattern has an unnamed capture: " + pattern);
    }
    route.segments.emplace_back(seg);
  }
  route.handler = std::move(h);
  routes_.push_back(std::move(route));
}

void Router::SetFallback(Handler h) { fallback_ = std::move(h); }

Task<Response> Router::Dispatch(Request& req) const {
  const std::vector<std::string_view> parts = SplitPath(req.path);
  for (const Route& route : routes_) {
    if (route.method != req.method || route.segments.size() != parts.size()) {
      continue;
    }
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const std::string& seg = route.segments[i];
      if (!seg.empty() && seg.front() == ':') {
        match = !parts[i].empty();
      } else {
        match = seg == parts[i];
      }
    }
    if (!match) {
      continue;
    }
    // Decode only once the route is chosen, so a malformed escape answers 400 exactly when
    // Express would (a matching route with a parameter it cannot decode).
    std::vector<std::pair<std::string, std::string>> params;
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& seg = route.segments[i];
      if (seg.empty() || seg.front() != ':') {
        continue;
      }
      std::optional<std::string> value = PercentDecode(parts[i], /*plus_is_space=*/false);
      if (!value) {
        co_return Response::MakeError(400, "Bad Request", "Malformed path");
      }
      params.emplace_back(seg.substr(1), std::move(*value));
    }
    req.params = std::move(params);
    co_return co_await route.handler(req);
  }
  co_return co_await fallback_(req);
}

}  // namespace mr::http
