#pragma once
// The XML bodies the S3 store sends and reads (ListObjectsV2, DeleteObjects, multipart uploads,
// error replies), over Boost.PropertyTree's XML parser. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "recording/object_store.hpp"

namespace mr::storage::s3 {

// An S3 error reply (<Error><Code>..</Code><Message>..</Message></Error>). Empty fields when the
// body is not such a document (a HEAD reply has no body).
struct S3ErrorBody {
  std::string code;
  std::string message;
};
S3ErrorBody ParseErrorBody(std::string_view body);

struct ListResult {
  std::vector<recording::ObjectInfo> objects;
  bool truncated = false;
};
// A ListBucketResult (ListObjectsV2). kInternal when it cannot be parsed.
Result<ListResult> ParseListResult(std::string_view body);

// The <Error> entries of a DeleteResult; empty when every key was deleted. A failure to parse is
// kInternal; a reply whose root is <Error> (S3 may send one with status 200) is reported as one
// entry.
Result<std::vector<S3ErrorBody>> ParseDeleteErrors(std::string_view body, std::vector<std::string>* keys);
// <Delete><Quiet>true</Quiet><Object><Key>..</Key></Object>...</Delete>
std::string DeleteBody(const std::vector<std::string>& keys);

// The UploadId of an InitiateMultipartUploadResult; kInternal when missing.
Result<std::string> ParseUploadId(std::string_view body);
// <CompleteMultipartUpload> listing parts 1..n with their ETags.
std::string CompleteBody(const std::vector<std::string>& etags);

// "Wed, 21 Oct 2015 07:28:00 GMT" (HTTP date) or "2015-10-21T07:28:00.000Z" (ISO 8601) in ms
// since the epoch; nullopt when neither.
std::optional<int64_t> ParseHttpDateMs(std::string_view s);
std::optional<int64_t> ParseIsoDateMs(std::string_view s);

}  // namespace mr::storage::s3
