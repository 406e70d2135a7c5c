#include "common/http/http.hpp"

#include <gtest/gtest.h>

#include "common/beast_http_client.hpp"

namespace mr::http {
namespace {

TEST(PercentDecodeTest, Table) {
  struct Case {
    std::string in;
    bool plus_is_space;
    std::optional<std::string> out;
  };
  const std::vector<Case> cases = {
      {"abc", false, "abc"},
      {"a%20b", false, "a b"},
      {"a+b", false, "a+b"},
      {"a+b", true, "a b"},
      {"%2B", true, "+"},
      {"%e2%82%ac", false, "\xE2\x82\xAC"},
      {"%", false, std::nullopt},
      {"%2", false, std::nullopt},
      {"%zz", false, std::nullopt},
      {"%FF", false, std::nullopt},        // Not UTF-8, as decodeURIComponent.
      {"%C0%80", false, std::nullopt},     // Overlong.
      {"%ED%A0%80", false, std::nullopt},  // Surrogate.
      {"", false, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(PercentDecode(c.in, c.plus_is_space), c.out);
  }
}

TEST(RequestTest, Lookups) {
  Request req;
  req.headers = {{"x-a", "1"}, {"x-a", "2"}};
  req.query = {{"q", "1"}, {"q", "2"}, {"r", ""}};
  req.params = {{"id", "r1"}};
  EXPECT_EQ(req.Header("x-a"), "1");
  EXPECT_EQ(req.Header("x-b"), std::nullopt);
  EXPECT_EQ(req.Query("q"), "1");
  EXPECT_EQ(req.Query("r"), "");
  EXPECT_EQ(req.Query("s"), std::nullopt);
  EXPECT_EQ(req.QueryCount("q"), 2u);
  EXPECT_EQ(req.QueryCount("s"), 0u);
  EXPECT_EQ(req.Param("id"), "r1");
  EXPECT_EQ(req.Param("nope"), "");
}

TEST(ResponseTest, MakeJsonAndError) {
  Response res = Response::MakeJson(201, Json{{"b", 1}, {"a", "x"}});
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body, R"({"b":1,"a":"x"})");  // Compact, insertion order.
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].first, "Content-Type");
  EXPECT_EQ(res.headers[0].second, "application/json; charset=utf-8");

  Response err = Response::MakeError(404, "Not Found", "Nope");
  EXPECT_EQ(err.body, R"({"error":"Not Found","message":"Nope"})");
}

TEST(ResponseTest, SetHeaderReplacesAnyCase) {
  Response res;
  res.SetHeader("Content-Type", "a");
  res.SetHeader("x-y", "1");
  res.SetHeader("content-type", "b");
  ASSERT_EQ(res.headers.size(), 2u);
  EXPECT_EQ(res.headers[0], (std::pair<std::string, std::string>{"x-y", "1"}));
  EXPECT_EQ(res.headers[1], (std::pair<std::string, std::string>{"content-type", "b"}));
}

TEST(ParseHttpUrlTest, Valid) {
  struct Case {
    std::string url;
    bool https;
    std::string host;
    uint16_t port;
    std::string target;
  };
  const std::vector<Case> cases = {
      {"http://127.0.0.1:8080/twirp/x?y=1", false, "127.0.0.1", 8080, "/twirp/x?y=1"},
      {"https://example.com", true, "example.com", 443, "/"},
      {"HTTP://example.com?a=b", false, "example.com", 80, "/?a=b"},
      {"http://[::1]:9000/p#frag", false, "::1", 9000, "/p"},
      {"https://[::1]/", true, "::1", 443, "/"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    Result<ParsedUrl> r = ParseHttpUrl(c.url);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->https, c.https);
    EXPECT_EQ(r->host, c.host);
    EXPECT_EQ(r->port, c.port);
    EXPECT_EQ(r->target, c.target);
  }
}

TEST(ParseHttpUrlTest, Invalid) {
  for (std::string url :
       {"", "example.com", "ftp://x/", "http://", "http://:80/", "http://h:/", "http://h:0/",
        "http://h:65536/", "http://h:8a/", "http://u@h/", "http://[::1/", "http://h /"}) {
    SCOPED_TRACE(url);
    Result<ParsedUrl> r = ParseHttpUrl(url);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mr::http
