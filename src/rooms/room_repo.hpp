#pragma once
// RoomRepo: Meet rooms in the bucket, one JSON object per room at
// `{subbucket}/rooms/{roomId}/{roomId}.json` (reference §4.2), in the stored form of room.hpp, so
// a bucket written by OpenVidu Meet is read as is and the other way round. There is no cache:
// storage is the source of truth (scope.md, Q12).
//
// Errors: an absent room is a value (`std::nullopt`), never an error; a storage outage is the
// store's Status (kUnavailable, kDestination, ...), never "absent" (scope.md, Q6). A room id that
// is not a safe id part ([A-Za-z0-9_-], see recording::IsSafeIdPart) is kInvalidArgument, so no id
// can name a key outside its own folder.
// Thread safety: stateless apart from the store; safe from any thread. Read-modify-write of one
// room by two callers is last-writer-wins (as in the reference).

#include <optional>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"
#include "recording/object_store.hpp"
#include "rooms/room.hpp"

namespace mr::rooms {

struct RoomRepoOptions {
  // Key prefix of every object (MEET_S3_SUBBUCKET). Default "openvidu-meet". No trailing slash.
  std::string subbucket = "openvidu-meet";
};

struct RoomPage {
  std::vector<Room> rooms;                     // In key order (lexicographic by room id).
  bool is_truncated = false;                   // More rooms follow.
  std::optional<std::string> next_page_token;  // Opaque; pass back to List to continue.
};

class RoomRepo {
 public:
  // `store` must outlive the repo.
  RoomRepo(recording::ObjectStore& store, RoomRepoOptions options);

  // The room, std::nullopt when there is none; kInternal when the stored object is not a valid
  // room; the store's error on an outage.
  Task<Result<std::optional<Room>>> Get(std::string room_id);

  // Writes the room (create or replace), compact JSON.
  Task<Status> Save(const Room& room);

  // Deletes the room object; deleting an absent room is Ok.
  Task<Status> Delete(std::string room_id);

  // One page of at most `max_items` rooms (REQUIRES: 1..1000), continuing after `page_token`
  // (the `next_page_token` of a previous page; the literal "undefined" counts as none). The token
  // is the store's continuation token, passed through. A token the store does not recognise is
  // kInvalidArgument. A room deleted between listing and reading is skipped; an object that is
  // not a valid room is skipped with a warning log (one corrupt object must not make every
  // listing fail); any other read failure fails the whole page, so a page never silently drops
  // a room because of an outage.
  Task<Result<RoomPage>> List(int max_items, std::optional<std::string> page_token);

  // `{subbucket}/rooms/{roomId}/{roomId}.json`. REQUIRES: a safe id.
  std::string KeyOf(const std::string& room_id) const;

 private:
  recording::ObjectStore& store_;
  RoomRepoOptions options_;
};

}  // namespace mr::rooms
