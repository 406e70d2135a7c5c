#include "recording/catalogue_snapshot.hpp"

#include <charconv>

#include "recording/ids.hpp"

namespace mr::recording {
namespace {
constexpr std::string_view kMagic = "mr-catalogue-snapshot 1 ";
}  // namespace

std::string EncodeCatalogueSnapshot(std::string_view subbucket,
                                    const std::vector<IndexEntry>& entries) {
  std::string out;
  out.reserve(64 + entries.size() * 64);
  out.append(kMagic).append(subbucket).push_back('\n');
  for (const auto& e : entries) {
    out.append(std::to_string(e.start_ms)).push_back('\t');
    out.append(RecordingStatusName(e.status)).push_back('\t');
    out.append(e.room_id).push_back('\t');
    out.append(e.recording_id).push_back('\n');
  }
  return out;
}

Result<std::vector<IndexEntry>> DecodeCatalogueSnapshot(std::string_view subbucket,
                                                        std::string_view text) {
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos || text.substr(0, nl) != std::string(kMagic) + std::string(subbucket)) {
    return InvalidArgumentError("catalogue snapshot: unknown header");
  }
  text.remove_prefix(nl + 1);
  std::vector<IndexEntry> entries;
  while (!text.empty()) {
    nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return InvalidArgumentError("catalogue snapshot: truncated");
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    std::string_view fields[4];
    for (int i = 0; i < 3; ++i) {
      size_t tab = line.find('\t');
      if (tab == std::string_view::npos) {
        return InvalidArgumentError("catalogue snapshot: malformed line");
      }
      fields[i] = line.substr(0, tab);
      line.remove_prefix(tab + 1);
    }
    fields[3] = line;
    IndexEntry e;
    auto [p, ec] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), e.start_ms);
    auto status = ParseRecordingStatus(fields[1]);
    auto id = ValidateRecordingId(fields[3]);
    auto parts = id.id ? ParseRecordingId(*id.id) : std::nullopt;
    if (ec != std::errc() || p != fields[0].data() + fields[0].size() || !status || !id.id ||
        *id.id != fields[3] || !parts || parts->room_id != fields[2]) {
      return InvalidArgumentError("catalogue snapshot: malformed line");
    }
    e.status = *status;
    e.room_id = std::string(fields[2]);
    e.recording_id = std::string(fields[3]);
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace mr::recording
