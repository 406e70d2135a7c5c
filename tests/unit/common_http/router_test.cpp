#include "common/http/router.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json.hpp"

namespace mr::http {
namespace {

// A handler that answers with its name and the captured params, so tests see who matched.
Handler Named(std::string name) {
  return [name](Request& req) -> Task<Response> {
    Json params = Json::object();
    for (const auto& [k, v] : req.params) {
      params[k] = v;
    }
    co_return Response::MakeJson(200, Json{{"route", name}, {"params", params}});
  };
}

Response Dispatch(const Router& router, std::string method, std::string path) {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.target = req.path;
  asio::io_context ioc;
  return RunTask(ioc, router.Dispatch(req));
}

Json Body(const Response& res) { return Json::parse(res.body); }

Router MakeRouter() {
  Router r;
  r.Add("GET", "/api/v1/recordings", Named("list"));
  r.Add("GET", "/api/v1/recordings/:recordingId", Named("get"));
  r.Add("GET", "/api/v1/recordings/:recordingId/media", Named("media"));
  r.Add("DELETE", "/api/v1/recordings/:recordingId", Named("delete"));
  r.Add("GET", "/api/v1/recordings/special", Named("shadowed"));  // After ":recordingId".
  r.Add("GET", "/a/:x/b/:y", Named("two"));
  r.Add("GET", "/", Named("root"));
  r.SetFallback([](Request&) -> Task<Response> {
    co_return Response::MakeError(404, "Path Not Found", "API path not implemented");
  });
  return r;
}

TEST(RouterTest, MatchesTable) {
  struct Case {
    std::string method;
    std::string path;
    int status;
    std::string route;  // Empty for the fallback.
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/recordings", 200, "list"},
      {"GET", "/api/v1/recordings/", 200, "list"},  // One trailing slash is ignored.
      {"GET", "/api/v1/recordings//", 404, ""},     // Two are not.
      {"GET", "/api/v1/recordings/r1", 200, "get"},
      {"GET", "/api/v1/recordings/r1/", 200, "get"},
      {"GET", "/api/v1/recordings/r1/media", 200, "media"},
      {"DELETE", "/api/v1/recordings/r1", 200, "delete"},
      {"POST", "/api/v1/recordings/r1", 404, ""},         // Method mismatch -> fallback.
      {"GET", "/api/v1/recordings/special", 200, "get"},  // First registered wins.
      {"GET", "/api/v1/Recordings", 404, ""},             // Literals are case-sensitive.
      {"GET", "/api/v1/recordings/r1/media/x", 404, ""},
      {"GET", "/api/v1", 404, ""},
      {"GET", "/a/1/b/2", 200, "two"},
      {"GET", "/a//b/2", 404, ""},  // A capture needs a non-empty segment.
      {"GET", "/", 200, "root"},
      {"GET", "/nope", 404, ""},
  };
  Router router = MakeRouter();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    Response res = Dispatch(router, c.method, c.path);
    EXPECT_EQ(res.status, c.status);
    Json body = Body(res);
    if (c.route.empty()) {
      EXPECT_EQ(body["error"], "Path Not Found");
    } else {
      EXPECT_EQ(body["route"], c.route);
    }
  }
}

TEST(RouterTest, CapturesAndDecodesParams) {
  Router router = MakeRouter();
  Json body = Body(Dispatch(router, "GET", "/a/x%20y%2Fz/b/%E2%82%AC+"));
  EXPECT_EQ(body["params"]["x"], "x y/z");
  EXPECT_EQ(body["params"]["y"], "\xE2\x82\xAC+");  // '+' stays a plus in a path.

  body = Body(Dispatch(router, "GET", "/api/v1/recordings/rec_1/media"));
  EXPECT_EQ(body["params"]["recordingId"], "rec_1");
}

TEST(RouterTest, LiteralSegmentsCompareEncoded) {
  Router router;
  router.Add("GET", "/x%20y", Named("encoded"));
  EXPECT_EQ(Dispatch(router, "GET", "/x%20y").status, 200);
  EXPECT_EQ(Dispatch(router, "GET", "/x y").status, 404);
}

TEST(RouterTest, MalformedEscapeInParamIs400) {
  Router router = MakeRouter();
  for (std::string path : {"/api/v1/recordings/%zz", "/api/v1/recordings/%E2%82",
                           "/api/v1/recordings/abc%", "/api/v1/recordings/%FF/media"}) {
    SCOPED_TRACE(path);
    Response res = Dispatch(router, "GET", path);
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(res.body, R"({"error":"Bad Request","message":"Malformed path"})");
  }
  // Not a matching route: the fallback, not a 400.
  EXPECT_EQ(Dispatch(router, "GET", "/nope/%zz").status, 404);
}

TEST(RouterTest, DefaultFallbackIs404) {
  Router router;
  Response res = Dispatch(router, "GET", "/x");
  EXPECT_EQ(res.status, 404);
}

TEST(RouterTest, UnnamedCaptureIsRejected) {
  Router router;
  EXPECT_THROW(router.Add("GET", "/a/:", Named("bad")), std::invalid_argument);
}

TEST(RouterTest, SplitPath) {
  EXPECT_EQ(SplitPath("/"), std::vector<std::string_view>{});
  EXPECT_EQ(SplitPath(""), std::vector<std::string_view>{});
  EXPECT_EQ(SplitPath("/a/b/"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(SplitPath("/a//b"), (std::vector<std::string_view>{"a", "", "b"}));
}

}  // namespace
}  // namespace mr::http
