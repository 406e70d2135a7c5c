// Storage failures are 503 with a clear label, never "not found" (scope.md Q6/Q12); S3's are
// labelled as the reference labels them.

#include "api/api_error.hpp"

#include <gtest/gtest.h>

namespace mr::api {
namespace {

Json BodyOf(const http::Response& r) { return Json::parse(r.body); }

TEST(ApiErrorTest, AnUnreachableS3IsA503S3Error) {
  auto r = DependencyFailureResponse(UnavailableError("S3 Error: GetObject 'k' in bucket 'b' at http://x: S3 is not available (HTTP 503)"),
                                     "getting recording");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(BodyOf(r)["error"], "S3 Error");
  r = DependencyFailureResponse(Status(StatusCode::kDestination, "S3 Error: bucket 'b' does not exist"),
                                "getting recording");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(BodyOf(r)["error"], "S3 Error");
}

TEST(ApiErrorTest, ALocalDiskFailureIsA503StorageError) {
  auto r = DependencyFailureResponse(UnavailableError("disk I/O error"), "getting recording");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(BodyOf(r)["error"], "Storage Error");
  r = DependencyFailureResponse(InternalError("bug"), "getting recording");
  EXPECT_EQ(r.status, 500);
}

}  // namespace
}  // namespace mr::api
