#include "recording/storage_layout.hpp"

namespace mr::recording {

StorageLayout::StorageLayout(std::string subbucket) : subbucket_(std::move(subbucket)) {
  while (!subbucket_.empty() && subbucket_.back() == '/') {
    subbucket_.pop_back();
  }
  root_ = subbucket_.empty() ? "" : subbucket_ + "/";
}

std::string StorageLayout::Prefixed(std::string_view logical) const {
  return root_ + std::string(logical);
}

std::string StorageLayout::MetadataKey(const RecordingIdParts& id) const {
  return Prefixed("recordings/.metadata/" + id.room_id + "/" + id.egress_id + "/" + id.uid + ".json");
}

std::string StorageLayout::SecretsKey(const RecordingIdParts& id) const {
  return Prefixed("recordings/.secrets/" + id.room_id + "/" + id.egress_id + "/" + id.uid + ".json");
}

std::string StorageLayout::MediaKey(const RecordingIdParts& id) const {
  return Prefixed("recordings/" + id.room_id + "/" + id.room_id + "--" + id.uid + ".mp4");
}

std::string StorageLayout::RoomMetadataKey(std::string_view room_id) const {
  return Prefixed("recordings/.room_metadata/" + std::string(room_id) + "/room_metadata.json");
}

std::string StorageLayout::AllMetadataPrefix() const { return Prefixed("recordings/.metadata/"); }

std::string StorageLayout::RoomMetadataPrefix(std::string_view room_id) const {
  return Prefixed("recordings/.metadata/" + std::string(room_id) + "/");
}

std::string StorageLayout::EgressFilepath(std::string_view room_id, std::string_view uid) const {
  return Prefixed("recordings/" + std::string(room_id) + "/" + std::string(room_id) + "--" +
                  std::string(uid));
}

std::optional<std::string> StorageLayout::RecordingIdFromMetadataKey(std::string_view key) const {
  const std::string prefix = AllMetadataPrefix();
  if (key.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  key.remove_prefix(prefix.size());
  // {room}/{egress}/{uid}.json
  size_t a = key.find('/');
  if (a == std::string_view::npos) {
    return std::nullopt;
  }
  size_t b = key.find('/', a + 1);
  if (b == std::string_view::npos || key.find('/', b + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view file = key.substr(b + 1);
  if (file.size() <= 5 || file.substr(file.size() - 5) != ".json") {
    return std::nullopt;
  }
  std::string id = std::string(key.substr(0, a)) + "--" + std::string(key.substr(a + 1, b - a - 1)) +
                   "--" + std::string(file.substr(0, file.size() - 5));
  auto v = ValidateRecordingId(id);
  if (!v.id || *v.id != id) {
    return std::nullopt;
  }
  return id;
}

}  // namespace mr::recording
