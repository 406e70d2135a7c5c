#include "common/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>

namespace mr::jwt {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
    i += 3;
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) {
      v |= uint8_t(in[i + 1]) << 8;
    }
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < in.size()) {
      out += alphabet[(v >> 6) & 63];
    } else if (pad) {
      out += '=';
    }
    if (pad) {
      out += '=';
    }
  }
  return out;
}

std::optional<std::string> Decode(std::string_view in, const char* alphabet) {
  std::array<int, 256> map;
  map.fill(-1);
  for (int i = 0; i < 64; ++i) {
    map[static_cast<uint8_t>(alphabet[i])] = i;
  }
  while (!in.empty() && in.back() == '=') {
    in.remove_suffix(1);
  }
  if (in.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = map[static_cast<uint8_t>(c)];
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

Status Unauthorized(std::string why) { return Status(StatusCode::kUnauthorized, std::move(why)); }

}  // namespace

std::string Base64UrlEncode(std::string_view data) { return Encode(data, kUrl, false); }
std::optional<std::string> Base64UrlDecode(std::string_view data) { return Decode(data, kUrl); }
std::string Base64Encode(std::string_view data) { return Encode(data, kStd, true); }
std::optional<std::string> Base64Decode(std::string_view data) { return Decode(data, kStd); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string SignHs256(const Json& claims, std::string_view secret) {
  const std::string header = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  const std::string payload = Base64UrlEncode(claims.dump());
  const std::string signing_input = header + "." + payload;
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

Result<Json> DecodeUnverified(std::string_view token) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos) {
    return Unauthorized("malformed token");
  }
  auto payload = Base64UrlDecode(token.substr(a + 1, b - a - 1));
  if (!payload) {
    return Unauthorized("malformed token");
  }
  Json claims = Json::parse(*payload, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) {
    return Unauthorized("malformed token claims");
  }
  return claims;
}

Result<Json> VerifyHs256(std::string_view token, std::string_view secret, const VerifyOptions& o) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos) {
    return Unauthorized("malformed token");
  }
  auto header_json = Base64UrlDecode(token.substr(0, a));
  if (!header_json) {
    return Unauthorized("malformed token");
  }
  Json header = Json::parse(*header_json, nullptr, false);
  if (header.is_discarded() || !header.is_object() || !header.contains("alg") ||
      header["alg"] != "HS256") {
    return Unauthorized("unsupported token algorithm");
  }
  auto sig = Base64UrlDecode(token.substr(b + 1));
  const std::string expected = HmacSha256(secret, token.substr(0, b));
  if (!sig || sig->size() != expected.size() ||
      CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0) {
    return Unauthorized("invalid signature");
  }
  auto claims = DecodeUnverified(token);
  if (!claims.ok()) {
    return claims.status();
  }
  const Json& c = *claims;
  auto number = [&](const char* k) -> std::optional<int64_t> {
    auto it = c.find(k);
    if (it == c.end() || !it->is_number()) {
      return std::nullopt;
    }
    return static_cast<int64_t>(it->get<double>());
  };
  auto exp = number("exp");
  if (!exp && o.require_exp) {
    return Unauthorized("token has no expiry");
  }
  if (exp && o.now_s > *exp + o.leeway_s) {
    return Unauthorized("token expired");
  }
  if (auto nbf = number("nbf"); nbf && o.now_s + o.leeway_s < *nbf) {
    return Unauthorized("token not valid yet");
  }
  if (o.issuer) {
    auto it = c.find("iss");
    if (it == c.end() || !it->is_string() || it->get<std::string>() != *o.issuer) {
      return Unauthorized("token issuer mismatch");
    }
  }
  return claims;
}

}  // namespace mr::jwt
