#pragma once
// AWS Signature Version 4 for S3 (header-based signing), as pure functions: the time is an
// argument, there is no clock inside. Checked against botocore's S3SigV4Auth by
// tests/unit/storage/sigv4_test.cpp (vectors from tests/unit/storage/sigv4_vectors.py).
//
// S3 specifics (they differ from the other AWS services): the canonical URI is the request path
// exactly as sent, encoded once (S3 does not normalise or double-encode it, '/' stays), and the
// payload hash is also sent as the x-amz-content-sha256 header.
// Thread safety: pure functions, safe from any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/http_client.hpp"

namespace mr::storage::s3 {

// The payload hash that tells S3 the body is not signed.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service = "s3";
  // Temporary credentials' session token (container or instance-role credentials); empty for
  // long-term keys. When set, Sign sends and signs it as X-Amz-Security-Token. Never logged.
  std::string session_token;
};

struct SigV4Request {
  std::string method;  // Upper case.
  // Value of the Host header: the host, plus ":port" when not the scheme's default port.
  std::string host;
  // The path as it is sent, already encoded (EncodePath), starting with '/'.
  std::string path;
  // Query parameters, NOT encoded; sorted and encoded by CanonicalQuery.
  std::vector<std::pair<std::string, std::string>> query;
  // Further headers to sign and send (content-type, range, content-md5, x-amz-*). Host,
  // x-amz-date, x-amz-content-sha256 and x-amz-security-token are added by Sign and must not be
  // given here.
  HttpHeaderList headers;
  // Hex SHA-256 of the body (Sha256Hex), or kUnsignedPayload.
  std::string payload_hash;
};

struct SigV4Signature {
  std::string amz_date;           // "20260101T000000Z".
  std::string canonical_request;  // For tests and debugging; contains no secret.
  std::string string_to_sign;
  std::string signed_headers;     // "host;x-amz-content-sha256;x-amz-date".
  std::string authorization;      // The Authorization header value.
  // Every header to send besides Host: the request's headers, x-amz-date, x-amz-content-sha256,
  // X-Amz-Security-Token (only with a session token) and Authorization.
  HttpHeaderList headers;
};

// Percent-encodes every byte except the RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~),
// and '/' too when `keep_slash`. Upper-case hex, as SigV4 requires.
std::string UriEncode(std::string_view s, bool keep_slash);

// The encoded path of an object ("/bucket/a%20b/c" for path-style): each key segment encoded,
// the slashes kept.
inline std::string EncodePath(std::string_view raw_path) { return UriEncode(raw_path, true); }

// "k1=v1&k2=v2": names and values encoded (UriEncode without keeping '/'), sorted by encoded
// name then encoded value. A parameter with an empty value is "name=". Also the query string to
// send, so what is signed is exactly what is sent.
std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

// Lower-case hex of SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Standard base64 of the MD5 of `data` (the Content-MD5 header).
std::string Md5Base64(std::string_view data);
// "YYYYMMDDTHHMMSSZ" in UTC.
std::string AmzDate(WallTime t);

// Signs `request` at time `now`.
SigV4Signature Sign(const SigV4Request& request, const SigV4Credentials& credentials,
                    WallTime now);

}  // namespace mr::storage::s3
