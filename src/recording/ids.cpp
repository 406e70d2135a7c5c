#include "recording/ids.hpp"

#include <cctype>

namespace mr::recording {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> SplitOnDoubleHyphen(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find("--", start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 2;
  }
}

}  // namespace

std::string SanitizeRoomNameChars(std::string_view raw) {
  std::string_view trimmed = Trim(raw);
  // Keep the allowed characters, collapsing runs of whitespace, '-' and '_' as we go.
  std::string kept;
  for (char c : trimmed) {
    bool allowed = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || IsSpace(c);
    if (!allowed) {
      continue;
    }
    if (IsSpace(c)) {
      c = ' ';
    }
    if (!kept.empty() && kept.back() == c && (c == ' ' || c == '-' || c == '_')) {
      continue;
    }
    kept.push_back(c);
  }
  // Dropping characters can make whitespace/hyphen runs adjacent only through the runs above,
  // so one pass suffices. Then strip trailing '-', trailing '_', leading '-', leading '_'.
  while (!kept.empty() && kept.back() == '-') {
    kept.pop_back();
  }
  while (!kept.empty() && kept.back() == '_') {
    kept.pop_back();
  }
  size_t lead = 0;
  while (lead < kept.size() && kept[lead] == '-') {
    ++lead;
  }
  while (lead < kept.size() && kept[lead] == '_') {
    ++lead;
  }
  return kept.substr(lead);
}

std::string SanitizeRoomIdChars(std::string_view raw) {
  const std::string kept = SanitizeRoomNameChars(raw);
  // Removing whitespace can join hyphens ("a- -b"); the reference would then produce "a--b",
  // which breaks the `--` separator of recording ids, so runs are collapsed once more here.
  std::string out;
  for (size_t i = 0; i < kept.size(); ++i) {
    char c = kept[i];
    if (c == ' ' || ((c == '-' || c == '_') && !out.empty() && out.back() == c)) {
      continue;
    }
    out.push_back(c);
  }
  return out;
}

SanitizeOutcome SanitizeRoomId(std::string_view raw, std::string_view field) {
  SanitizeOutcome out;
  std::string f(field);
  if (raw.empty()) {
    out.messages.push_back(f + " is required and cannot be empty");
  }
  if (raw.size() > 100) {
    out.messages.push_back(f + " cannot exceed 100 characters");
    return out;
  }
  std::string sanitized = SanitizeRoomIdChars(raw);
  if (sanitized.empty()) {
    out.messages.push_back(f + " cannot be empty after sanitization");
    return out;
  }
  if (!out.messages.empty()) {
    return out;
  }
  out.value = std::move(sanitized);
  return out;
}

std::optional<RecordingIdParts> ParseRecordingId(std::string_view id) {
  auto parts = SplitOnDoubleHyphen(id);
  if (parts.size() < 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return std::nullopt;
  }
  return RecordingIdParts{std::string(parts[0]), std::string(parts[1]), std::string(parts[2])};
}

bool IsSafeIdPart(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

RecordingIdOutcome ValidateRecordingId(std::string_view raw) {
  RecordingIdOutcome out;
  if (raw.empty()) {
    out.message = "recordingId is required and cannot be empty";
    return out;
  }
  std::string id(Trim(raw));
  auto parts = SplitOnDoubleHyphen(id);
  if (parts.size() == 3) {
    auto room = SanitizeRoomId(parts[0], "recordingId");
    if (room.value && !room.value->empty()) {
      id = *room.value + "--" + std::string(parts[1]) + "--" + std::string(parts[2]);
    }
  }
  if (id.empty()) {
    out.message = "recordingId cannot be empty after sanitization";
    return out;
  }
  parts = SplitOnDoubleHyphen(id);
  const bool format_ok = parts.size() == 3 && !parts[0].empty() && parts[1].size() > 3 &&
                         parts[1].substr(0, 3) == "EG_" && !parts[2].empty();
  // Q22: the room part must be a sanitised room id, egress and uid safe path segments.
  const bool safe = format_ok && SanitizeRoomIdChars(parts[0]) == parts[0] &&
                    IsSafeIdPart(parts[1]) && IsSafeIdPart(parts[2]);
  if (!safe) {
    out.message = "recordingId does not follow the expected format";
    return out;
  }
  out.id = std::move(id);
  return out;
}

}  // namespace mr::recording
