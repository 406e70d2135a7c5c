#pragma once
// Bucket keys of the reference layout (reference §4.1–4.2), with the fixes of scope.md: every
// prefix ends with '/', so room "R" never matches room "R2" (Q10), and the sub-bucket is always
// prepended with its separator (Q11). An empty sub-bucket means keys at the bucket root.
// REQUIRES: ids passed here were validated (recording/ids.hpp), so no key escapes its folder.

#include <string>
#include <string_view>

#include "recording/ids.hpp"

namespace mr::recording {

class StorageLayout {
 public:
  explicit StorageLayout(std::string subbucket);

  const std::string& subbucket() const { return subbucket_; }

  // {sub}/recordings/.metadata/{room}/{egress}/{uid}.json
  std::string MetadataKey(const RecordingIdParts& id) const;
  // {sub}/recordings/.secrets/{room}/{egress}/{uid}.json
  std::string SecretsKey(const RecordingIdParts& id) const;
  // {sub}/recordings/{room}/{room}--{uid}.mp4
  std::string MediaKey(const RecordingIdParts& id) const;
  // {sub}/recordings/.room_metadata/{room}/room_metadata.json
  std::string RoomMetadataKey(std::string_view room_id) const;
  // {sub}/recordings/.metadata/
  std::string AllMetadataPrefix() const;
  // {sub}/recordings/.metadata/{room}/
  std::string RoomMetadataPrefix(std::string_view room_id) const;
  // The egress `filepath` for a new recording, without extension: {sub}/recordings/{room}/{room}--{uid}
  std::string EgressFilepath(std::string_view room_id, std::string_view uid) const;

  // Inverse of MetadataKey: the recording id a metadata key belongs to, if it has that shape.
  std::optional<std::string> RecordingIdFromMetadataKey(std::string_view key) const;

 private:
  std::string Prefixed(std::string_view logical) const;
  std::string subbucket_;
  std::string root_;  // "{sub}/" or "".
};

}  // namespace mr::recording
