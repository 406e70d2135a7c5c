#include "storage/object_key.hpp"

#include <string>

namespace mr::storage {

namespace {

Status Invalid(std::string_view key, std::string_view why) {
  // Keys may contain NUL or be very long: quote only a bounded, printable head of the key.
  std::string shown;
  for (char c : key.substr(0, 64)) {
    shown.push_back((c >= 0x20 && c < 0x7f) ? c : '?');
  }
  return InvalidArgumentError("invalid object key \"" + shown + "\": " + std::string(why));
}

}  // namespace

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) {
    return Invalid(key, "empty");
  }
  if (key.size() > kMaxObjectKeyBytes) {
    return Invalid(key, "longer than 1024 bytes");
  }
  if (key.front() == '/') {
    return Invalid(key, "starts with '/'");
  }
  if (key.find('\0') != std::string_view::npos) {
    return Invalid(key, "contains a NUL byte");
  }
  if (key.find('\\') != std::string_view::npos) {
    return Invalid(key, "contains a backslash");
  }
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    const std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty()) {
      return Invalid(key, "has an empty segment");
    }
    if (segment == "." || segment == "..") {
      return Invalid(key, "has a '.' or '..' segment");
    }
    if (slash == std::string_view::npos) {
      return Status::Ok();
    }
    start = slash + 1;
  }
}

}  // namespace mr::storage
