#pragma once
// HS256 JSON Web Tokens (RFC 7519 with RFC 7515 JWS compact form), the format of LiveKit access
// tokens, LiveKit webhook signatures and (later) recording tokens. Only HS256 is produced and
// accepted; `alg: none` and every other algorithm are refused.
// Thread safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.hpp"
#include "common/status.hpp"

namespace mr::jwt {

std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view data);

// HMAC-SHA256 of `data` with `key`, raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// SHA-256 of `data`, raw bytes; and its standard base64 (the form of LiveKit's `sha256` claim).
std::string Sha256(std::string_view data);
std::string Base64Encode(std::string_view data);
std::optional<std::string> Base64Decode(std::string_view data);

// Signs `claims` with header {"alg":"HS256","typ":"JWT"}.
std::string SignHs256(const Json& claims, std::string_view secret);

struct VerifyOptions {
  int64_t now_s = 0;                    // Current time, seconds since the epoch.
  int64_t leeway_s = 0;                 // Allowed clock skew on exp and nbf.
  bool require_exp = true;              // A token without exp is refused.
  std::optional<std::string> issuer;    // When set, `iss` must equal it.
};

// Verifies signature (constant-time compare), algorithm, exp/nbf and issuer, and returns the
// claims. Every failure is kUnauthorized with a short reason ("invalid signature", "token
// expired", ...) that never contains the token or the secret.
Result<Json> VerifyHs256(std::string_view token, std::string_view secret, const VerifyOptions& o);

// Decodes the claims without verifying anything (to find `iss` before choosing a secret).
Result<Json> DecodeUnverified(std::string_view token);

}  // namespace mr::jwt
