#include "notify/webhook_signature.hpp"

#include "common/jwt.hpp"

namespace mr::notify {

std::string SignWebhook(std::string_view key, int64_t timestamp_ms, std::string_view body) {
  std::string message = std::to_string(timestamp_ms);
  message.push_back('.');
  message.append(body);
  const std::string mac = jwt::HmacSha256(key, message);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(mac.size() * 2);
  for (unsigned char c : mac) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xf]);
  }
  return hex;
}

bool VerifyWebhook(std::string_view key, int64_t timestamp_ms, std::string_view body,
                   std::string_view signature) {
  const std::string expected = SignWebhook(key, timestamp_ms, body);
  if (signature.size() != expected.size()) {
    return false;
  }
  // Constant time: accumulate every difference instead of returning at the first one.
  unsigned diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(signature[i]);
    if (c >= 'A' && c <= 'F') {
      c = static_cast<unsigned char>(c + ('a' - 'A'));
    }
    diff |= static_cast<unsigned>(c ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

}  // namespace mr::notify
