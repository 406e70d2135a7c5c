#pragma once
// Signatures of the outgoing webhooks the service sends to the application (reference §5.7).
// A webhook carries `X-Timestamp: {timestamp_ms}` and `X-Signature: {hex}`, where hex is the
// lowercase hexadecimal HMAC-SHA256, keyed with the first API key, of the message
// "{timestamp_ms}.{body}": the decimal timestamp, one dot, then the exact body bytes.
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace mr::notify {

// The 64-character lowercase hex signature of `body` sent at `timestamp_ms` with `key`.
std::string SignWebhook(std::string_view key, int64_t timestamp_ms, std::string_view body);

// True iff `signature` is the signature SignWebhook would produce (hex digits compared
// case-insensitively). The comparison takes the same time wherever the first difference is, so a
// receiver can use it without leaking how much of a forged signature was right. Any other length
// is false.
bool VerifyWebhook(std::string_view key, int64_t timestamp_ms, std::string_view body,
                   std::string_view signature);

}  // namespace mr::notify
