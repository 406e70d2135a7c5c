#pragma once
// S3ObjectStore: the ObjectStore on an S3 bucket (AWS S3, MinIO, any S3-compatible server),
// spoken over the injected HttpClient with Signature V4 (storage/s3/sigv4.hpp). Keys are the
// bucket keys as given (the sub-bucket prefix is the caller's, StorageLayout's); they must pass
// ValidateObjectKey (kInvalidArgument otherwise), so every store accepts the same keys.
//
// Credentials. The static MEET_S3_ACCESS_KEY/MEET_S3_SECRET_KEY, or, when both are empty, the
// AWS default credential chain (s3_credentials.hpp: environment, container endpoint, EC2
// instance role; fetched with the same HttpClient and Clock, cached until 5 minutes before they
// expire). Every request asks the provider first and signs with what it gets, sending the session
// token of temporary credentials as X-Amz-Security-Token.
//
// Requests. Path-style "endpoint/bucket/key" or virtual-hosted "bucket.host/key" (S3Options::
// path_style); each key segment percent-encoded once. Put is one PutObject whose body hash is
// signed; bodies above multipart_threshold_bytes go up as a multipart upload of
// multipart_part_bytes parts (aborted on any failure, so no parts are left behind unless the
// abort itself fails). Get is one GetObject (small objects), Head one HeadObject, List one
// ListObjectsV2, DeleteMany one DeleteObjects per 1000 keys (Content-MD5, quiet mode; any
// per-key <Error> fails the call).
//
// Streaming (Open): never the whole object in memory. The reader fetches successive ranged GETs
// of at most read_chunk_bytes ("Range: bytes=a-b"), and reads one chunk ahead: once the consumer
// comes back for a second piece of the current chunk, the next one is fetched meanwhile, so S3's
// latency overlaps the delivery (at most two chunks per reader in memory); every chunk
// after the first carries "If-Match" with the first reply's ETag, and the reader also compares
// the ETag and total size of each reply itself (some servers ignore If-Match), so an object
// replaced while it is read fails the Read with kConflict instead of mixing two objects. A reader
// therefore keeps the object it opened, as the ObjectStore contract says, or fails. Open sends
// the first ranged GET itself, so a missing key or a bad range is reported by Open, and
// object_size() is the total from its Content-Range. A small object (up to one chunk) is read
// entirely by Open.
//
// Retries. Every request is retried, up to max_retries times after the first attempt, on
// transport failures (kUnavailable or kTimeout from the HttpClient), on 5xx and 429, and on S3's
// 400 RequestTimeout; with "full jitter" exponential backoff: before retry n it waits a uniformly
// random time in [0, min(retry_base_delay * 2^(n-1), 20 s)] on the injected Timers. Other
// replies are final at once (STYLE rule 6: a destination error is not retried). All our requests
// are idempotent except CompleteMultipartUpload, whose retry after a lost reply may answer
// NoSuchUpload although the object was written (the Put then fails and the caller retries it).
//
// Errors (the ObjectStore contract):
//   - 404 NoSuchKey: kNotFound. A HEAD 404 has no body to tell a missing key from a missing
//     bucket, so it is confirmed with a one-key listing of the bucket first;
//   - 404 NoSuchBucket, 403 (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId, ...), 301/
//     307 redirects and 400 AuthorizationHeaderMalformed (wrong region): kDestination, with a
//     message naming the bucket, endpoint and the settings to check (never the secret key);
//   - transport failures, timeouts, 5xx and 429 once the retries are spent: kUnavailable,
//     "S3 Error: ..."; an outage is never kNotFound;
//   - no credentials (default chain only): kDestination when no source ever worked (the start-up
//     CheckBucket fails with the chain's one-line report), kUnavailable "S3 Error: ..." when a
//     refresh fails later (retried like a transport failure); never kNotFound;
//   - 416: kRangeNotSatisfiable; 412 (If-Match) and a replaced object during a Read: kConflict;
//   - anything else (an unexpected status or an unreadable reply): kInternal.
//
// List tokens are "s3." + base64url(last key of the page) and continue with ListObjectsV2's
// start-after, not S3's own NextContinuationToken: the page after a token then holds the keys
// that exist when it is read and sort after that key, as LocalObjectStore does, whatever the
// prefix, and a token not made by this store is recognised locally (kInvalidArgument) instead of
// being sent to S3 (s3rver, for one, answers 500 to a garbled token).
//
// Thread safety: every method may be called concurrently from any thread (the store keeps no
// mutable state but an atomic request counter and the credential chain's cache, which has its
// own lock). A reader is used by one consumer at a time; it
// shares the store's internals, so it may outlive the store, but not the HttpClient, Clock,
// Timers and Random given to the store.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/http_client.hpp"
#include "common/random.hpp"
#include "common/timers.hpp"
#include "recording/object_store.hpp"
#include "storage/s3/s3_options.hpp"

namespace mr::storage {

class S3ObjectStore final : public recording::ObjectStore {
 public:
  // `clock` gives the request time that is signed (x-amz-date), `timers` the retry backoff
  // waits, `random` the backoff jitter.
  S3ObjectStore(HttpClient& http, Clock& clock, Timers& timers, Random& random,
                S3Options options);
  ~S3ObjectStore() override;

  Task<Status> Put(std::string key, std::string body) override;
  Task<Result<std::string>> Get(std::string key) override;
  Task<Result<recording::ObjectInfo>> Head(std::string key) override;
  Task<Result<recording::ListPage>> List(std::string prefix, int max_keys,
                                         std::optional<std::string> token) override;
  Task<Status> DeleteMany(std::vector<std::string> keys) override;
  Task<Result<std::unique_ptr<recording::ObjectReader>>> Open(
      std::string key, std::optional<recording::ByteRange> range) override;

  // The start-up health check (reference §4.8): a ListObjectsV2 of at most one key. OK when the
  // bucket can be listed with these credentials; otherwise the error as above (kDestination for
  // a missing bucket or refused credentials, kUnavailable when S3 cannot be reached).
  Task<Status> CheckBucket();

  // HTTP requests sent so far, retries included (for benchmarks and tests).
  uint64_t RequestCount() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace mr::storage
