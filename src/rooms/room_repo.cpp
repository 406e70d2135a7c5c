#include "rooms/room_repo.hpp"

#include "common/logging.hpp"
#include "recording/ids.hpp"

namespace mr::rooms {
namespace {

Status UnsafeId(const std::string& room_id) {
  return InvalidArgumentError("room id '" + room_id +
                              "' contains characters outside [A-Za-z0-9_-]");
}

}  // namespace

RoomRepo::RoomRepo(recording::ObjectStore& store, RoomRepoOptions options)
    : store_(store), options_(std::move(options)) {}

std::string RoomRepo::KeyOf(const std::string& room_id) const {
  return options_.subbucket + "/rooms/" + room_id + "/" + room_id + ".json";
}

Task<Result<std::optional<Room>>> RoomRepo::Get(std::string room_id) {
  if (!recording::IsSafeIdPart(room_id)) {
    co_return UnsafeId(room_id);
  }
  auto body = co_await store_.Get(KeyOf(room_id));
  if (!body.ok()) {
    if (body.status().code() == StatusCode::kNotFound) {
      co_return std::optional<Room>();
    }
    co_return body.status();
  }
  Json json = Json::parse(*body, nullptr, /*allow_exceptions=*/false);
  auto room = RoomFromStoredJson(json);
  if (!room.ok()) {
    co_return Status(room.status().code(), room.status().message() + " (" + KeyOf(room_id) + ")");
  }
  co_return std::optional<Room>(std::move(*room));
}

Task<Status> RoomRepo::Save(const Room& room) {
  if (!recording::IsSafeIdPart(room.room_id)) {
    co_return UnsafeId(room.room_id);
  }
  co_return co_await store_.Put(KeyOf(room.room_id), RoomToStoredJson(room).dump());
}

Task<Status> RoomRepo::Delete(std::string room_id) {
  if (!recording::IsSafeIdPart(room_id)) {
    co_return UnsafeId(room_id);
  }
  std::vector<std::string> keys{KeyOf(room_id)};
  co_return co_await store_.DeleteMany(std::move(keys));
}

Task<Result<RoomPage>> RoomRepo::List(int max_items, std::optional<std::string> page_token) {
  if (page_token && (page_token->empty() || *page_token == "undefined")) {
    page_token.reset();
  }
  const std::string prefix = options_.subbucket + "/rooms/";
  auto listed = co_await store_.List(prefix, max_items, std::move(page_token));
  if (!listed.ok()) {
    co_return listed.status();
  }
  RoomPage page;
  page.is_truncated = listed->next_token.has_value();
  page.next_page_token = listed->next_token;
  for (const auto& obj : listed->objects) {
    // Only `rooms/{id}/{id}.json` is a room; anything else in the folder is not ours to read.
    std::string_view rest = std::string_view(obj.key).substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      continue;
    }
    std::string id(rest.substr(0, slash));
    if (rest.substr(slash + 1) != id + ".json" || !recording::IsSafeIdPart(id)) {
      continue;
    }
    auto room = co_await Get(id);
    if (!room.ok()) {
      if (room.status().code() == StatusCode::kInternal) {
        log::Warn("skipping invalid stored room",
                  {{"key", obj.key}, {"error", room.status().message()}});
        continue;
      }
      co_return room.status();
    }
    if (room->has_value()) {
      page.rooms.push_back(std::move(**room));
    }
  }
  co_return page;
}

}  // namespace mr::rooms
