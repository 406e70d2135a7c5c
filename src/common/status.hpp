#pragma once
// Status and Result<T>: expected failures are values, never exceptions (STYLE rule 5).
// A Status carries one code from StatusCode plus a human message; api/ maps codes to HTTP.
// Thread safety: plain values, safe to copy between threads.

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mr {

enum class StatusCode {
  kOk,
  kInvalidArgument,      // Malformed input (400).
  kUnprocessable,        // Validation failure (422).
  kUnauthorized,         // Missing or bad credentials (401).
  kForbidden,            // Authenticated but not allowed (403).
  kNotFound,             // The thing does not exist (404).
  kConflict,             // State does not allow the operation (409).
  kPreconditionFailed,   // E.g. LiveKit's FailedPrecondition (412).
  kRangeNotSatisfiable,  // Range outside the object (416).
  kUnavailable,          // A dependency (storage, Redis, LiveKit) cannot be reached (503).
  kTimeout,              // A deadline passed (503 on the API).
  kDestination,          // The destination refuses us (bad bucket, 403 from S3): a config error.
  kInternal,             // A bug or an unexpected failure (500).
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status ConflictError(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design.
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design.
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mr
