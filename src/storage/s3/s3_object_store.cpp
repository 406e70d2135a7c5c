#include "storage/s3/s3_object_store.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include "common/jwt.hpp"
#include "common/logging.hpp"
#include "common/one_shot.hpp"
#include "common/parse_int.hpp"
#include "storage/object_key.hpp"
#include "storage/s3/s3_credentials.hpp"
#include "storage/s3/s3_xml.hpp"
#include "storage/s3/sigv4.hpp"

namespace mr::storage {

using recording::ByteRange;
using recording::ListPage;
using recording::ObjectInfo;
using recording::ObjectReader;

namespace {

constexpr std::string_view kTokenPrefix = "s3.";
constexpr size_t kDeleteBatch = 1000;  // S3's limit per DeleteObjects.
constexpr Millis kMaxBackoff{20000};
// Prefix of SendOnce's error when the credentials provider fails (MapFailure keeps its code).
constexpr std::string_view kCredentialsError = "cannot get S3 credentials: ";

using Query = std::vector<std::pair<std::string, std::string>>;

// One S3 request before signing.
struct S3Call {
  std::string op;   // "GetObject", ... for messages and logs.
  std::string method;
  std::string key;  // Empty: the bucket itself.
  Query query;
  HttpHeaderList headers;
  std::string body;
};

bool IsRetryable(const Result<HttpClientResponse>& r) {
  if (!r.ok()) {
    return r.status().code() == StatusCode::kUnavailable ||
           r.status().code() == StatusCode::kTimeout;
  }
  if (r->status >= 500 || r->status == 429) {
    return true;
  }
  // S3 answers 400 RequestTimeout when the request body arrived too slowly: transient.
  return r->status == 400 && s3::ParseErrorBody(r->body).code == "RequestTimeout";
}

std::string Quoted(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

// "bytes a-b/total" -> {a, b, total}.
struct ContentRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t total = 0;
};
std::optional<ContentRange> ParseContentRange(std::string_view v) {
  if (v.substr(0, 6) != "bytes ") {
    return std::nullopt;
  }
  v.remove_prefix(6);
  const size_t dash = v.find('-');
  const size_t slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  auto a = ParseInt(v.substr(0, dash));
  auto b = ParseInt(v.substr(dash + 1, slash - dash - 1));
  auto t = ParseInt(v.substr(slash + 1));
  if (t && *t == 0) {
    return ContentRange{0, 0, 0};  // An empty object (see GetRange).
  }
  if (!a || !b || !t || *a < 0 || *b < *a || *t <= *b) {
    return std::nullopt;
  }
  return ContentRange{static_cast<uint64_t>(*a), static_cast<uint64_t>(*b),
                      static_cast<uint64_t>(*t)};
}

std::string RangeHeader(uint64_t first, uint64_t last) {
  std::string v = "bytes=";
  v += std::to_string(first);
  v += '-';
  v += std::to_string(last);
  return v;
}

}  // namespace

struct S3ObjectStore::Core {
  Core(HttpClient& h, Clock& c, Timers& t, Random& r, S3Options opts)
      : http(h), clock(c), timers(t), random(r), o(std::move(opts)) {
    if (UsesCredentialChain(o)) {
      credentials = std::make_shared<s3::DefaultCredentialChain>(h, c, o.aws_env);
    } else {
      s3::Credentials k;
      k.access_key = o.access_key;
      k.secret_key = o.secret_key;
      k.source = "MEET_S3_ACCESS_KEY";
      credentials = std::make_shared<s3::StaticCredentialsProvider>(std::move(k));
    }
    std::string host = o.path_style ? o.host : o.bucket + "." + o.host;
    if (host.find(':') != std::string::npos) {
      host = "[" + host + "]";
    }
    if (o.port != (o.https ? 443 : 80)) {
      host += ":" + std::to_string(o.port);
    }
    host_header = host;
    base_url = (o.https ? "https://" : "http://") + host;
  }

  HttpClient& http;
  Clock& clock;
  Timers& timers;
  Random& random;
  const S3Options o;
  std::shared_ptr<s3::CredentialsProvider> credentials;
  std::string host_header;  // As the HTTP client sends it (host[:port]), and as it is signed.
  std::string base_url;
  std::atomic<uint64_t> requests{0};

  std::string Path(const std::string& key) const {
    std::string raw = "/";
    if (o.path_style) {
      raw += o.bucket;
      if (!key.empty()) {
        raw += '/';
      }
    }
    raw += key;
    return s3::EncodePath(raw);
  }

  // Where the bucket is, for messages.
  std::string Where() const {
    std::string w = "bucket ";
    w += Quoted(o.bucket);
    w += " at ";
    w += o.endpoint;
    return w;
  }

  Task<Result<HttpClientResponse>> SendOnce(const S3Call& c) {
    s3::SigV4Request sreq;
    sreq.method = c.method;
    sreq.host = host_header;
    sreq.path = Path(c.key);
    sreq.query = c.query;
    sreq.headers = c.headers;
    sreq.payload_hash = s3::Sha256Hex(c.body);
    Result<s3::Credentials> keys = co_await credentials->Get();
    if (!keys.ok()) {
      // kDestination (no source ever worked) or kUnavailable (a refresh failed): see
      // s3_credentials.hpp. Retried like a transport failure when kUnavailable.
      co_return Status(keys.status().code(),
                       std::string(kCredentialsError) + keys.status().message());
    }
    s3::SigV4Credentials creds{keys->access_key, keys->secret_key, o.region, "s3",
                               keys->session_token};
    s3::SigV4Signature sig = s3::Sign(sreq, creds, clock.Now());
    HttpClientRequest req;
    req.method = c.method;
    req.url = base_url + sreq.path;
    if (!c.query.empty()) {
      req.url += '?';
      req.url += s3::CanonicalQuery(c.query);
    }
    req.headers = std::move(sig.headers);
    req.body = c.body;
    req.timeout = o.request_timeout;
    requests.fetch_add(1, std::memory_order_relaxed);
    co_return co_await http.Send(std::move(req));
  }

  // Sends `c`, retrying transient failures with full-jitter backoff (see the header). Returns
  // the last outcome; MapFailure judges it.
  Task<Result<HttpClientResponse>> Send(const S3Call& c) {
    Millis ceiling = o.retry_base_delay;
    for (int attempt = 0;; ++attempt) {
      Result<HttpClientResponse> r = co_await SendOnce(c);
      if (!IsRetryable(r) || attempt >= o.max_retries) {
        co_return r;
      }
      const Millis delay = Jitter(ceiling);
      Json f = Json::object();
      f["op"] = c.op;
      f["key"] = c.key;
      f["attempt"] = attempt + 1;
      f["error"] = r.ok() ? "HTTP " + std::to_string(r->status) : r.status().ToString();
      f["retry_in_ms"] = delay.count();
      log::Warn("S3 request failed; retrying", f);
      co_await SleepFor(timers, delay);
      ceiling = std::min(ceiling * 2, kMaxBackoff);
    }
  }

  // Uniform in [0, ceiling]: 48 random bits scaled (0 gives 0, all ones gives the ceiling).
  Millis Jitter(Millis ceiling) {
    const std::string hex = random.SecureHex(12);
    const unsigned __int128 r = std::strtoull(hex.c_str(), nullptr, 16);
    const auto span = static_cast<unsigned __int128>(ceiling.count()) + 1;
    return Millis(static_cast<int64_t>((r * span) >> 48));
  }

  // The Status for a failed transport or a non-2xx reply of `c`.
  Status MapFailure(const Result<HttpClientResponse>& r, const S3Call& c) const {
    std::string what = "S3 Error: ";
    what += c.op;
    if (!c.key.empty()) {
      what += ' ';
      what += Quoted(c.key);
    }
    what += " in ";
    what += Where();
    what += ": ";
    if (!r.ok()) {
      if (r.status().message().rfind(kCredentialsError, 0) == 0) {
        // No credentials to sign with: the chain's message (sources tried, never a secret).
        return Status(r.status().code() == StatusCode::kDestination ? StatusCode::kDestination
                                                                    : StatusCode::kUnavailable,
                      what + r.status().message());
      }
      if (r.status().code() == StatusCode::kInvalidArgument) {
        return {StatusCode::kDestination,
                what + "the endpoint cannot be used (check MEET_S3_SERVICE_ENDPOINT): " +
                    r.status().message()};
      }
      return UnavailableError(what + "S3 is not available: " + r.status().message());
    }
    const s3::S3ErrorBody err = s3::ParseErrorBody(r->body);
    std::string detail = "HTTP " + std::to_string(r->status);
    if (!err.code.empty()) {
      detail += ' ';
      detail += err.code;
    }
    if (!err.message.empty()) {
      detail += ": ";
      detail += err.message;
    }
    const int st = r->status;
    if (st >= 500 || st == 429 || (st == 400 && err.code == "RequestTimeout")) {
      return UnavailableError(what + "S3 is not available (" + detail + ")");
    }
    if (st == 404 && err.code == "NoSuchBucket") {
      return {StatusCode::kDestination,
              what + "the bucket does not exist (check MEET_S3_BUCKET) (" + detail + ")"};
    }
    if (st == 404) {
      return NotFoundError(what + "no such key (" + detail + ")");
    }
    if (st == 403) {
      return {StatusCode::kDestination,
              what + "access refused (check MEET_S3_ACCESS_KEY, MEET_S3_SECRET_KEY and the " +
                  "bucket's policy) (" + detail + ")"};
    }
    if (st == 301 || st == 307 || (st == 400 && err.code == "AuthorizationHeaderMalformed")) {
      return {StatusCode::kDestination,
              what + "wrong region or endpoint for the bucket (check MEET_AWS_REGION and " +
                  "MEET_S3_SERVICE_ENDPOINT) (" + detail + ")"};
    }
    if (st == 416) {
      return {StatusCode::kRangeNotSatisfiable, what + "range not satisfiable (" + detail + ")"};
    }
    if (st == 412) {
      return ConflictError(what + "the object changed (" + detail + ")");
    }
    return InternalError(what + "unexpected reply (" + detail + ")");
  }

  // Sends `c`; a 2xx reply is the result, anything else its mapped Status.
  Task<Result<HttpClientResponse>> Call(const S3Call& c) {
    Result<HttpClientResponse> r = co_await Send(c);
    if (r.ok() && r->status >= 200 && r->status <= 299) {
      co_return r;
    }
    co_return MapFailure(r, c);
  }

  Task<Result<ListPage>> ListRaw(std::string prefix, int max_keys,
                                 std::optional<std::string> start_after) {
    S3Call c;
    c.op = "ListObjectsV2";
    c.method = "GET";
    c.query = {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}};
    if (!prefix.empty()) {
      c.query.emplace_back("prefix", prefix);
    }
    if (start_after) {
      c.query.emplace_back("start-after", *start_after);
    }
    Result<HttpClientResponse> r = co_await Call(c);
    if (!r.ok()) {
      co_return r.status();
    }
    Result<s3::ListResult> parsed = s3::ParseListResult(r->body);
    if (!parsed.ok()) {
      co_return parsed.status();
    }
    ListPage page;
    page.objects = std::move(parsed->objects);
    if (parsed->truncated && !page.objects.empty()) {
      page.next_token = std::string(kTokenPrefix) + jwt::Base64UrlEncode(page.objects.back().key);
    }
    co_return page;
  }

  // One ranged GET of bytes [first, last] (clamped by S3 to the object's end).
  struct Chunk {
    std::string body;
    uint64_t first = 0;
    uint64_t total = 0;
    std::string etag;
  };
  Task<Result<Chunk>> GetRange(const std::string& key, uint64_t first, uint64_t last,
                               const std::string& if_match) {
    S3Call c;
    c.op = "GetObject";
    c.method = "GET";
    c.key = key;
    c.headers.emplace_back("Range", RangeHeader(first, last));
    if (!if_match.empty()) {
      c.headers.emplace_back("If-Match", if_match);
    }
    Result<HttpClientResponse> r = co_await Call(c);
    if (!r.ok()) {
      co_return r.status();
    }
    Chunk chunk;
    chunk.etag = std::string(r->Header("etag").value_or(""));
    if (r->status == 200) {
      // The server ignored Range and sent the whole object: keep the part asked for.
      chunk.total = r->body.size();
      chunk.first = first;
      if (first < r->body.size()) {
        chunk.body = r->body.substr(first, last - first + 1);
      }
      co_return chunk;
    }
    auto cr = ParseContentRange(r->Header("content-range").value_or(""));
    if (r->status == 206 && cr && cr->total == 0) {
      // Some servers answer a range of an empty object with 206 "bytes 0-0/0" (S3 says 416).
      chunk.first = first;
      co_return chunk;
    }
    if (r->status != 206 || !cr || cr->first != first ||
        r->body.size() != cr->last - cr->first + 1) {
      co_return InternalError("S3 Error: GetObject " + Quoted(key) +
                              ": unexpected reply to a ranged read (HTTP " +
                              std::to_string(r->status) + ")");
    }
    chunk.first = cr->first;
    chunk.total = cr->total;
    chunk.body = std::move(r->body);
    if (cr->last > last) {
      // More than asked for (s3rver reads "bytes=0-0" as "bytes=0-"): keep what was asked.
      chunk.body.resize(last - first + 1);
    }
    co_return chunk;
  }
};

namespace {

// The next chunk, fetched while the consumer drains the current one. The fetching coroutine
// owns a reference, so a reader destroyed meanwhile leaves it to finish on its own.
struct ReadAhead {
  uint64_t last = 0;  // The chunk is [reader's next, last].
  std::optional<Result<S3ObjectStore::Core::Chunk>> result;  // Written before done->Set().
  std::shared_ptr<OneShot> done = OneShot::Make();
};

Task<void> FetchAhead(std::shared_ptr<S3ObjectStore::Core> core, std::string key, uint64_t first,
                      std::string etag, std::shared_ptr<ReadAhead> ahead) {
  ahead->result = co_await core->GetRange(key, first, ahead->last, etag);
  ahead->done->Set();
}

// Streams [next, end) of one object version in chunks (see the header).
class S3Reader final : public ObjectReader {
 public:
  S3Reader(std::shared_ptr<S3ObjectStore::Core> core, std::string key, std::string etag,
           uint64_t size, uint64_t next, uint64_t end, std::string buffered)
      : core_(std::move(core)),
        key_(std::move(key)),
        etag_(std::move(etag)),
        size_(size),
        next_(next),
        end_(end),
        buf_(std::move(buffered)) {}

  uint64_t object_size() const override { return size_; }

  Task<Result<size_t>> Read(std::span<char> out) override {
    if (out.empty()) {
      co_return size_t{0};
    }
    if (pos_ == buf_.size()) {
      if (next_ >= end_) {
        co_return size_t{0};
      }
      if (!ahead_) {
        co_await StartReadAhead();
      }
      std::shared_ptr<ReadAhead> ahead = std::move(ahead_);
      co_await ahead->done->Wait();
      Result<S3ObjectStore::Core::Chunk>& chunk = *ahead->result;
      if (!chunk.ok()) {
        co_return chunk.status();
      }
      // If-Match makes S3 refuse a replaced object (412); servers that ignore it are caught here.
      if ((!etag_.empty() && !chunk->etag.empty() && chunk->etag != etag_) ||
          chunk->total != size_ || chunk->body.size() != ahead->last - next_ + 1) {
        co_return ConflictError("S3 Error: GetObject " + Quoted(key_) +
                                ": the object was replaced while it was read");
      }
      buf_ = std::move(chunk->body);
      pos_ = 0;
      next_ = ahead->last + 1;
    } else if (pos_ > 0 && !ahead_ && next_ < end_) {
      // The consumer came back for more of this chunk, so it is still reading: fetch the next
      // one meanwhile (a client that leaves after the first piece costs no extra chunk).
      co_await StartReadAhead();
    }
    const size_t n = std::min(out.size(), buf_.size() - pos_);
    std::copy_n(buf_.data() + pos_, n, out.data());
    pos_ += n;
    co_return n;
  }

 private:
  Task<void> StartReadAhead() {
    ahead_ = std::make_shared<ReadAhead>();
    ahead_->last = std::min(end_, next_ + core_->o.read_chunk_bytes) - 1;
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, FetchAhead(core_, key_, next_, etag_, ahead_), asio::detached);
  }

  std::shared_ptr<S3ObjectStore::Core> core_;
  std::string key_;
  std::string etag_;
  uint64_t size_;
  uint64_t next_;  // First byte not fetched (nor being fetched by ahead_) yet.
  uint64_t end_;   // One past the last byte to deliver.
  std::string buf_;
  size_t pos_ = 0;
  std::shared_ptr<ReadAhead> ahead_;  // The chunk from next_, being fetched; null if none.
};

}  // namespace

S3ObjectStore::S3ObjectStore(HttpClient& http, Clock& clock, Timers& timers, Random& random,
                             S3Options options)
    : core_(std::make_shared<Core>(http, clock, timers, random, std::move(options))) {}

S3ObjectStore::~S3ObjectStore() = default;

uint64_t S3ObjectStore::RequestCount() const {
  return core_->requests.load(std::memory_order_relaxed);
}

Task<Status> S3ObjectStore::Put(std::string key, std::string body) {
  if (Status s = ValidateObjectKey(key); !s.ok()) {
    co_return s;
  }
  auto core = core_;
  if (body.size() <= core->o.multipart_threshold_bytes) {
    S3Call c;
    c.op = "PutObject";
    c.method = "PUT";
    c.key = std::move(key);
    c.body = std::move(body);
    Result<HttpClientResponse> r = co_await core->Call(c);
    co_return r.status();
  }

  S3Call create;
  create.op = "CreateMultipartUpload";
  create.method = "POST";
  create.key = key;
  create.query = {{"uploads", ""}};
  Result<HttpClientResponse> created = co_await core->Call(create);
  if (!created.ok()) {
    co_return created.status();
  }
  Result<std::string> upload_id = s3::ParseUploadId(created->body);
  if (!upload_id.ok()) {
    co_return upload_id.status();
  }
  Status failure;
  std::vector<std::string> etags;
  const uint64_t part_bytes = std::max<uint64_t>(1, core->o.multipart_part_bytes);
  for (uint64_t off = 0; off < body.size() && failure.ok(); off += part_bytes) {
    S3Call part;
    part.op = "UploadPart";
    part.method = "PUT";
    part.key = key;
    part.query = {{"partNumber", std::to_string(etags.size() + 1)}, {"uploadId", *upload_id}};
    part.body = body.substr(off, part_bytes);
    Result<HttpClientResponse> r = co_await core->Call(part);
    if (!r.ok()) {
      failure = r.status();
    } else if (auto etag = r->Header("etag"); etag && !etag->empty()) {
      etags.emplace_back(*etag);
    } else {
      failure = InternalError("S3 Error: UploadPart " + Quoted(key) + ": no ETag in the reply");
    }
  }
  if (failure.ok()) {
    S3Call complete;
    complete.op = "CompleteMultipartUpload";
    complete.method = "POST";
    complete.key = key;
    complete.query = {{"uploadId", *upload_id}};
    complete.body = s3::CompleteBody(etags);
    Result<HttpClientResponse> r = co_await core->Call(complete);
    if (!r.ok()) {
      failure = r.status();
    } else if (s3::S3ErrorBody err = s3::ParseErrorBody(r->body); !err.code.empty()) {
      // S3 may report a failed completion in a 200 reply.
      HttpClientResponse as_error = *r;
      as_error.status = err.code == "InternalError" || err.code == "SlowDown" ? 500 : 400;
      failure = core->MapFailure(Result<HttpClientResponse>(std::move(as_error)), complete);
    } else {
      co_return Status::Ok();
    }
  }
  S3Call abort;
  abort.op = "AbortMultipartUpload";
  abort.method = "DELETE";
  abort.key = key;
  abort.query = {{"uploadId", *upload_id}};
  Result<HttpClientResponse> aborted = co_await core->Call(abort);
  if (!aborted.ok()) {
    Json f = Json::object();
    f["key"] = key;
    f["error"] = aborted.status().ToString();
    log::Warn("S3 multipart upload not aborted; its parts stay until a lifecycle rule removes them",
              f);
  }
  co_return failure;
}

Task<Result<std::string>> S3ObjectStore::Get(std::string key) {
  if (Status s = ValidateObjectKey(key); !s.ok()) {
    co_return s;
  }
  auto core = core_;
  S3Call c;
  c.op = "GetObject";
  c.method = "GET";
  c.key = std::move(key);
  Result<HttpClientResponse> r = co_await core->Call(c);
  if (!r.ok()) {
    co_return r.status();
  }
  co_return std::move(r->body);
}

Task<Result<ObjectInfo>> S3ObjectStore::Head(std::string key) {
  if (Status s = ValidateObjectKey(key); !s.ok()) {
    co_return s;
  }
  auto core = core_;
  S3Call c;
  c.op = "HeadObject";
  c.method = "HEAD";
  c.key = key;
  Result<HttpClientResponse> r = co_await core->Call(c);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kNotFound) {
      // A HEAD reply has no body, so "no such key" and "no such bucket" look alike: a listing
      // tells them apart (its error names the bucket problem).
      Result<ListPage> probe = co_await core->ListRaw(key, 1, std::nullopt);
      if (!probe.ok()) {
        co_return probe.status();
      }
    }
    co_return r.status();
  }
  auto length = ParseInt(r->Header("content-length").value_or(""));
  if (!length || *length < 0) {
    co_return InternalError("S3 Error: HeadObject " + Quoted(key) + ": no Content-Length");
  }
  ObjectInfo info;
  info.key = std::move(key);
  info.size = static_cast<uint64_t>(*length);
  info.last_modified_ms = s3::ParseHttpDateMs(r->Header("last-modified").value_or("")).value_or(0);
  co_return info;
}

Task<Result<ListPage>> S3ObjectStore::List(std::string prefix, int max_keys,
                                           std::optional<std::string> token) {
  if (max_keys < 1 || max_keys > 1000) {
    co_return InvalidArgumentError("max_keys must be 1 to 1000");
  }
  std::optional<std::string> start_after;
  if (token) {
    std::optional<std::string> key;
    if (std::string_view(*token).substr(0, kTokenPrefix.size()) == kTokenPrefix) {
      key = jwt::Base64UrlDecode(std::string_view(*token).substr(kTokenPrefix.size()));
    }
    if (!key || !ValidateObjectKey(*key).ok()) {
      co_return InvalidArgumentError("invalid continuation token");
    }
    start_after = std::move(key);
  }
  auto core = core_;
  co_return co_await core->ListRaw(std::move(prefix), max_keys, std::move(start_after));
}

Task<Status> S3ObjectStore::DeleteMany(std::vector<std::string> keys) {
  for (const std::string& k : keys) {
    if (Status s = ValidateObjectKey(k); !s.ok()) {
      co_return s;
    }
  }
  auto core = core_;
  for (size_t i = 0; i < keys.size(); i += kDeleteBatch) {
    std::vector<std::string> batch(keys.begin() + static_cast<ptrdiff_t>(i),
                                   keys.begin() + static_cast<ptrdiff_t>(
                                                      std::min(keys.size(), i + kDeleteBatch)));
    S3Call c;
    c.op = "DeleteObjects";
    c.method = "POST";
    c.query = {{"delete", ""}};
    c.body = s3::DeleteBody(batch);
    c.headers.emplace_back("Content-MD5", s3::Md5Base64(c.body));
    c.headers.emplace_back("Content-Type", "application/xml");
    Result<HttpClientResponse> r = co_await core->Call(c);
    if (!r.ok()) {
      co_return r.status();
    }
    std::vector<std::string> failed_keys;
    auto errors = s3::ParseDeleteErrors(r->body, &failed_keys);
    if (!errors.ok()) {
      co_return errors.status();
    }
    if (!errors->empty()) {
      const s3::S3ErrorBody& first = errors->front();
      std::string msg = "S3 Error: DeleteObjects in " + core->Where() + ": " +
                        std::to_string(errors->size()) + " key(s) not deleted, first: ";
      msg += failed_keys.empty() ? std::string() : Quoted(failed_keys.front()) + " ";
      msg += first.code + " " + first.message;
      co_return Status(first.code == "AccessDenied" ? StatusCode::kDestination
                                                    : StatusCode::kUnavailable,
                       msg);
    }
  }
  co_return Status::Ok();
}

Task<Result<std::unique_ptr<ObjectReader>>> S3ObjectStore::Open(std::string key,
                                                                std::optional<ByteRange> range) {
  if (Status s = ValidateObjectKey(key); !s.ok()) {
    co_return s;
  }
  if (range && range->first > range->last) {
    co_return Status(StatusCode::kRangeNotSatisfiable, "invalid range");
  }
  auto core = core_;
  const uint64_t chunk_bytes = std::max<uint64_t>(1, core->o.read_chunk_bytes);
  const uint64_t first = range ? range->first : 0;
  uint64_t last = first + chunk_bytes - 1;
  if (range) {
    last = std::min(last, range->last);
  }
  Result<Core::Chunk> chunk = co_await core->GetRange(key, first, last, "");
  if (!chunk.ok()) {
    if (chunk.status().code() != StatusCode::kRangeNotSatisfiable || range) {
      co_return chunk.status();
    }
    // Bytes 0.. of an empty object are not satisfiable: S3 answers 416. Confirm the object is
    // empty (and exists) with a HEAD.
    Result<ObjectInfo> head = co_await Head(key);
    if (!head.ok()) {
      co_return head.status();
    }
    if (head->size != 0) {
      co_return ConflictError("S3 Error: GetObject " + Quoted(key) +
                              ": the object was replaced while it was opened");
    }
    std::unique_ptr<ObjectReader> empty =
        std::make_unique<S3Reader>(core, std::move(key), "", 0, 0, 0, "");
    co_return empty;
  }
  if (range && range->last >= chunk->total) {
    co_return Status(StatusCode::kRangeNotSatisfiable,
                     "range beyond the end of " + Quoted(key) + " (" +
                         std::to_string(chunk->total) + " bytes)");
  }
  const uint64_t end = range ? range->last + 1 : chunk->total;
  const uint64_t next = first + chunk->body.size();
  std::unique_ptr<ObjectReader> reader = std::make_unique<S3Reader>(
      core, std::move(key), std::move(chunk->etag), chunk->total, next, end,
      std::move(chunk->body));
  co_return reader;
}

Task<Status> S3ObjectStore::CheckBucket() {
  auto core = core_;
  Result<ListPage> page = co_await core->ListRaw("", 1, std::nullopt);
  co_return page.status();
}

}  // namespace mr::storage
