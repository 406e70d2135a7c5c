#include "storage/s3/sigv4.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <map>

#include "common/jwt.hpp"

namespace mr::storage::s3 {
namespace {

std::string Hex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return out;
}

// SigV4's Trimall: no leading or trailing blanks, inner runs of blanks become one space.
std::string TrimAll(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
      pending_space = false;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) {
    encoded.emplace_back(UriEncode(k, false), UriEncode(v, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) {
      out += '&';
    }
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return Hex(jwt::Sha256(data)); }

std::string Md5Base64(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return jwt::Base64Encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string AmzDate(WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SigV4Signature Sign(const SigV4Request& request, const SigV4Credentials& credentials,
                    WallTime now) {
  SigV4Signature sig;
  sig.amz_date = AmzDate(now);
  const std::string date = sig.amz_date.substr(0, 8);

  // Canonical headers: lower-case names in order, values trimmed, repeated names joined by ','.
  std::map<std::string, std::string> canonical;
  auto add = [&](const std::string& name, std::string_view value) {
    std::string& slot = canonical[Lower(name)];
    if (!slot.empty()) {
      slot += ',';
    }
    slot += TrimAll(value);
  };
  add("host", request.host);
  add("x-amz-content-sha256", request.payload_hash);
  add("x-amz-date", sig.amz_date);
  if (!credentials.session_token.empty()) {
    add("x-amz-security-token", credentials.session_token);
  }
  for (const auto& [n, v] : request.headers) {
    add(n, v);
  }
  std::string canonical_headers;
  for (const auto& [n, v] : canonical) {
    canonical_headers += n;
    canonical_headers += ':';
    canonical_headers += v;
    canonical_headers += '\n';
    if (!sig.signed_headers.empty()) {
      sig.signed_headers += ';';
    }
    sig.signed_headers += n;
  }

  sig.canonical_request = request.method;
  sig.canonical_request += '\n';
  sig.canonical_request += request.path;
  sig.canonical_request += '\n';
  sig.canonical_request += CanonicalQuery(request.query);
  sig.canonical_request += '\n';
  sig.canonical_request += canonical_headers;
  sig.canonical_request += '\n';
  sig.canonical_request += sig.signed_headers;
  sig.canonical_request += '\n';
  sig.canonical_request += request.payload_hash;

  std::string scope = date;
  scope += '/';
  scope += credentials.region;
  scope += '/';
  scope += credentials.service;
  scope += "/aws4_request";

  sig.string_to_sign = "AWS4-HMAC-SHA256\n";
  sig.string_to_sign += sig.amz_date;
  sig.string_to_sign += '\n';
  sig.string_to_sign += scope;
  sig.string_to_sign += '\n';
  sig.string_to_sign += Sha256Hex(sig.canonical_request);

  std::string k_secret = "AWS4";
  k_secret += credentials.secret_key;
  const std::string k_date = jwt::HmacSha256(k_secret, date);
  const std::string k_region = jwt::HmacSha256(k_date, credentials.region);
  const std::string k_service = jwt::HmacSha256(k_region, credentials.service);
  const std::string k_signing = jwt::HmacSha256(k_service, "aws4_request");
  const std::string signature = Hex(jwt::HmacSha256(k_signing, sig.string_to_sign));

  sig.authorization = "AWS4-HMAC-SHA256 Credential=";
  sig.authorization += credentials.access_key;
  sig.authorization += '/';
  sig.authorization += scope;
  sig.authorization += ", SignedHeaders=";
  sig.authorization += sig.signed_headers;
  sig.authorization += ", Signature=";
  sig.authorization += signature;

  sig.headers = request.headers;
  sig.headers.emplace_back("x-amz-date", sig.amz_date);
  sig.headers.emplace_back("x-amz-content-sha256", request.payload_hash);
  if (!credentials.session_token.empty()) {
    sig.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  sig.headers.emplace_back("Authorization", sig.authorization);
  return sig;
}

}  // namespace mr::storage::s3
