#include "recording/livekit_port.hpp"

#include <string>

namespace mr::recording {

const char* EgressStatusName(EgressStatus status) {
  switch (status) {
    case EgressStatus::kStarting:
      return "EGRESS_STARTING";
    case EgressStatus::kActive:
      return "EGRESS_ACTIVE";
    case EgressStatus::kEnding:
      return "EGRESS_ENDING";
    case EgressStatus::kComplete:
      return "EGRESS_COMPLETE";
    case EgressStatus::kFailed:
      return "EGRESS_FAILED";
    case EgressStatus::kAborted:
      return "EGRESS_ABORTED";
    case EgressStatus::kLimitReached:
      return "EGRESS_LIMIT_REACHED";
  }
  return "EGRESS_UNKNOWN";
}

bool IsEgressFinished(EgressStatus status) {
  return status == EgressStatus::kComplete || status == EgressStatus::kFailed ||
         status == EgressStatus::kAborted || status == EgressStatus::kLimitReached;
}

Status LiveKitErrorStatus(std::string_view twirp_code, std::string_view msg) {
  // psrpc-originated errors carry this prefix (xtwirp.ToError wraps them as `unknown` first).
  constexpr std::string_view kPrefix = "twirp error unknown: ";
  if (msg.substr(0, kPrefix.size()) == kPrefix) {
    msg.remove_prefix(kPrefix.size());
  }
  StatusCode code = StatusCode::kInternal;
  if (twirp_code == "not_found") {
    code = StatusCode::kNotFound;
  } else if (twirp_code == "already_exists") {
    code = StatusCode::kConflict;
  } else if (twirp_code == "failed_precondition") {
    code = StatusCode::kPreconditionFailed;
  } else if (twirp_code == "unauthenticated") {
    code = StatusCode::kUnauthorized;
  } else if (twirp_code == "permission_denied") {
    code = StatusCode::kForbidden;
  } else if (twirp_code == "invalid_argument") {
    code = StatusCode::kInvalidArgument;
  } else if (twirp_code == "unavailable" || twirp_code == "resource_exhausted") {
    code = StatusCode::kUnavailable;
  } else if (twirp_code == "deadline_exceeded") {
    code = StatusCode::kTimeout;
  }
  std::string message(msg);
  if (message.empty()) {
    message = "LiveKit error " + std::string(twirp_code);
  }
  return Status(code, std::move(message));
}

}  // namespace mr::recording
