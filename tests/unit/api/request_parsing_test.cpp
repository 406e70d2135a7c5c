#include "api/request_parsing.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace mr::api {
namespace {

TEST(JsNumberTest, CoercesLikeJavaScript) {
  struct Case {
    const char* in;
    std::optional<double> out;
  };
  const std::vector<Case> cases = {
      {"10", 10}, {" 5 ", 5}, {"", 0}, {"1e2", 100}, {"0x10", 16}, {"2.7", 2.7}, {"-3", -3},
      {"abc", std::nullopt}, {"10abc", std::nullopt}, {"1e", std::nullopt}, {".", std::nullopt},
      {"0b101", 5}, {"0xZZ", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(JsNumber(c.in), c.out) << c.in;
  }
  EXPECT_TRUE(std::isinf(*JsNumber("Infinity")));
}

TEST(RangeTest, HeaderSyntax) {
  for (const char* bad : {"bytes=", "bytes=-5", "bytes=a-b", "bytes=1-2,3-4", "items=1-2", "bytes=1",
                          "bytes= 1-2", "Bytes=1-2"}) {
    EXPECT_FALSE(ParseRangeHeader(bad)) << bad;
  }
  auto r = ParseRangeHeader("bytes=10-20");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->start, 10u);
  EXPECT_EQ(r->end, 20u);
  r = ParseRangeHeader("bytes=10-");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->end);
  r = ParseRangeHeader("bytes=99999999999999999999999-");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->start_overflow);
}

TEST(RangeTest, ResolveAgainstSize) {
  auto resolve = [](const char* h, uint64_t size) { return ResolveRange(*ParseRangeHeader(h), size); };
  auto r = resolve("bytes=0-99", 1000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->last, 99u);
  r = resolve("bytes=900-5000", 1000);  // End clamped.
  ASSERT_TRUE(r);
  EXPECT_EQ(r->last, 999u);
  r = resolve("bytes=100-", 10 * 1024 * 1024);  // To the end of the file (scope.md Q7).
  ASSERT_TRUE(r);
  EXPECT_EQ(r->last, 10u * 1024 * 1024 - 1);
  EXPECT_FALSE(resolve("bytes=1000-", 1000));          // Start at the size.
  EXPECT_FALSE(resolve("bytes=100-50", 1000));         // Inverted: 416, not the whole file.
  EXPECT_FALSE(resolve("bytes=99999999999999999999999-", 1000));
  r = resolve("bytes=999-999", 1000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 999u);
}

TEST(FieldsTest, ProjectionKeepsOrderAndIgnoresUnknown) {
  Json rec = Json::parse(R"({"recordingId":"a","roomId":"r","status":"complete"})");
  EXPECT_EQ(ProjectFields(rec, SplitFieldList(" status , recordingId,nope")).dump(),
            R"({"status":"complete","recordingId":"a"})");
  EXPECT_EQ(ProjectFields(rec, SplitFieldList("  ")), rec);
  EXPECT_EQ(ProjectFields(rec, SplitFieldList("nope")).dump(), "{}");
}

TEST(CommaListTest, TrimsAndDropsEmpty) {
  EXPECT_EQ(SplitCommaList(" a, ,b ,,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitCommaList(" , ").empty());
}

}  // namespace
}  // namespace mr::api
