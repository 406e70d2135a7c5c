#pragma once
// Object key validation shared by the storage adapters. A valid key can be mapped one-to-one onto
// a relative file path: it never escapes the folder it is resolved in and never names the folder
// itself. S3 accepts more keys than this (e.g. "a//b"); the service never produces them, and
// refusing them keeps every store interchangeable.
// Thread safety: pure functions, safe from any thread.

#include <cstddef>
#include <string_view>

#include "common/status.hpp"

namespace mr::storage {

// The S3 limit on the length of a key, in bytes.
inline constexpr size_t kMaxObjectKeyBytes = 1024;

// Returns OK when `key` is non-empty, at most kMaxObjectKeyBytes bytes, does not start with '/',
// has no empty segment ("a//b", "a/"), no "." or ".." segment, and contains no NUL byte and no
// backslash. Otherwise returns kInvalidArgument with a message naming the rule that failed.
Status ValidateObjectKey(std::string_view key);

}  // namespace mr::storage
