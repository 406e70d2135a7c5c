#include "fakes/fake_livekit.hpp"

namespace mr::fakes {

using recording::EgressInfo;
using recording::EgressStatus;

void FakeLiveKit::AddRoom(const std::string& name, int participants, int publishers) {
  std::lock_guard lock(mu_);
  recording::LiveKitRoom room;
  room.sid = "RM_" + name;
  room.name = name;
  room.num_participants = static_cast<uint32_t>(participants);
  room.num_publishers = static_cast<uint32_t>(publishers);
  rooms_[name] = room;
  auto& people = participants_[name];
  people.clear();
  for (int i = 0; i < participants; ++i) {
    recording::ParticipantInfo p;
    p.sid = "PA_" + std::to_string(i);
    p.identity = "user" + std::to_string(i);
    people.push_back(p);
  }
}

void FakeLiveKit::RemoveRoom(const std::string& name) {
  std::lock_guard lock(mu_);
  rooms_.erase(name);
  participants_.erase(name);
}

void FakeLiveKit::AddEgressParticipant(const std::string& room) {
  std::lock_guard lock(mu_);
  recording::ParticipantInfo p;
  p.identity = "EG_recorder";
  p.kind = recording::ParticipantKind::kEgress;
  p.recorder = true;
  participants_[room].push_back(p);
}

void FakeLiveKit::FailNext(const std::string& method, Status status) {
  std::lock_guard lock(mu_);
  faults_[method].push_back(std::move(status));
}

std::optional<Status> FakeLiveKit::TakeFault(const std::string& method) {
  std::lock_guard lock(mu_);
  auto it = faults_.find(method);
  if (it == faults_.end() || it->second.empty()) {
    return std::nullopt;
  }
  Status s = it->second.front();
  it->second.pop_front();
  return s;
}

void FakeLiveKit::HoldStartReplies(bool hold) {
  std::lock_guard lock(mu_);
  hold_ = hold;
}

void FakeLiveKit::ReleaseStartReplies() {
  std::vector<std::shared_ptr<OneShot>> held;
  {
    std::lock_guard lock(mu_);
    held.swap(held_);
  }
  for (auto& h : held) {
    h->Set();
  }
}

EgressInfo FakeLiveKit::SetEgressStatus(const std::string& egress_id, EgressStatus s) {
  std::lock_guard lock(mu_);
  EgressInfo& e = egresses_.at(egress_id);
  e.status = s;
  e.updated_at_ns = NowNs();
  if (s == EgressStatus::kActive && e.file_results[0].started_at_ns == 0) {
    e.file_results[0].started_at_ns = NowNs();
  }
  if (recording::IsEgressFinished(s)) {
    e.ended_at_ns = NowNs();
    auto& f = e.file_results[0];
    if (f.started_at_ns != 0) {
      f.ended_at_ns = NowNs();
      f.duration_ns = f.ended_at_ns - f.started_at_ns;
      f.size_bytes = 4096;
    }
  }
  return e;
}

std::optional<EgressInfo> FakeLiveKit::Egress(const std::string& egress_id) {
  std::lock_guard lock(mu_);
  auto it = egresses_.find(egress_id);
  if (it == egresses_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void FakeLiveKit::ForgetEgress(const std::string& egress_id) {
  std::lock_guard lock(mu_);
  egresses_.erase(egress_id);
}

std::vector<EgressInfo> FakeLiveKit::Egresses() {
  std::lock_guard lock(mu_);
  std::vector<EgressInfo> out;
  for (const auto& [id, e] : egresses_) {
    out.push_back(e);
  }
  return out;
}

std::string FakeLiveKit::LastEgressId() {
  std::lock_guard lock(mu_);
  return last_egress_;
}

std::vector<FakeLiveKit::SentData> FakeLiveKit::Sent() {
  std::lock_guard lock(mu_);
  return sent_;
}

std::vector<std::string> FakeLiveKit::SentTopics(const std::string& room) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& s : sent_) {
    if (s.room == room) {
      out.push_back(s.message.topic.value_or(""));
    }
  }
  return out;
}

int FakeLiveKit::StartCalls() {
  std::lock_guard lock(mu_);
  return start_calls_;
}

int FakeLiveKit::StopCalls() {
  std::lock_guard lock(mu_);
  return stop_calls_;
}

Task<Result<recording::LiveKitRoom>> FakeLiveKit::CreateRoom(std::string name,
                                                             recording::CreateRoomOptions) {
  AddRoom(name, 0, 0);
  std::lock_guard lock(mu_);
  co_return rooms_[name];
}

Task<Result<std::vector<recording::LiveKitRoom>>> FakeLiveKit::ListRooms(
    std::vector<std::string> names) {
  if (auto f = TakeFault("ListRooms")) {
    co_return *f;
  }
  std::lock_guard lock(mu_);
  std::vector<recording::LiveKitRoom> out;
  for (const auto& [name, room] : rooms_) {
    bool wanted = names.empty();
    for (const auto& n : names) {
      wanted = wanted || n == name;
    }
    if (wanted) {
      out.push_back(room);
    }
  }
  co_return out;
}

Task<Status> FakeLiveKit::DeleteRoom(std::string name) {
  std::lock_guard lock(mu_);
  if (rooms_.erase(name) == 0) {
    co_return NotFoundError("room does not exist");
  }
  participants_.erase(name);
  co_return Status::Ok();
}

Task<Result<std::vector<recording::ParticipantInfo>>> FakeLiveKit::ListParticipants(
    std::string room) {
  if (auto f = TakeFault("ListParticipants")) {
    co_return *f;
  }
  std::lock_guard lock(mu_);
  co_return participants_[room];
}

Task<Result<recording::ParticipantInfo>> FakeLiveKit::GetParticipant(std::string room,
                                                                     std::string identity) {
  std::lock_guard lock(mu_);
  for (const auto& p : participants_[room]) {
    if (p.identity == identity) {
      co_return p;
    }
  }
  co_return NotFoundError("participant not found");
}

Task<Status> FakeLiveKit::RemoveParticipant(std::string, std::string) { co_return Status::Ok(); }

Task<Status> FakeLiveKit::SendData(std::string room, recording::DataMessage message) {
  if (auto f = TakeFault("SendData")) {
    co_return *f;
  }
  std::lock_guard lock(mu_);
  if (rooms_.count(room) == 0) {
    co_return NotFoundError("room does not exist");
  }
  sent_.push_back({room, std::move(message)});
  co_return Status::Ok();
}

Task<Result<recording::LiveKitRoom>> FakeLiveKit::UpdateRoomMetadata(std::string room,
                                                                     std::string metadata) {
  std::lock_guard lock(mu_);
  auto it = rooms_.find(room);
  if (it == rooms_.end()) {
    co_return NotFoundError("room does not exist");
  }
  it->second.metadata = metadata;
  co_return it->second;
}

Task<Result<EgressInfo>> FakeLiveKit::StartRoomCompositeEgress(
    recording::RoomCompositeRequest request) {
  std::shared_ptr<OneShot> gate;
  EgressInfo e;
  {
    std::lock_guard lock(mu_);
    ++start_calls_;
  }
  if (auto f = TakeFault("StartRoomCompositeEgress")) {
    co_return *f;
  }
  {
    std::lock_guard lock(mu_);
    if (rooms_.count(request.room_name) == 0) {
      co_return NotFoundError("requested room does not exist");
    }
    e.egress_id = "EG_fake" + std::to_string(++egress_seq_);
    e.room_id = "RM_" + request.room_name;
    e.room_name = request.room_name;
    e.status = EgressStatus::kStarting;
    e.started_at_ns = NowNs();
    e.updated_at_ns = NowNs();
    recording::FileInfo f;
    f.filename = request.file.filepath + ".mp4";
    e.file_results.push_back(f);
    egresses_[e.egress_id] = e;
    last_egress_ = e.egress_id;
    if (hold_) {
      gate = OneShot::Make();
      held_.push_back(gate);
    }
  }
  if (gate) {
    co_await gate->Wait();
    std::lock_guard lock(mu_);
    e = egresses_[e.egress_id];  // The reply shows the egress as it is when sent.
  }
  co_return e;
}

Task<Result<EgressInfo>> FakeLiveKit::StopEgress(std::string egress_id) {
  if (auto f = TakeFault("StopEgress")) {
    co_return *f;
  }
  EgressStatus next;
  {
    std::lock_guard lock(mu_);
    ++stop_calls_;
    auto it = egresses_.find(egress_id);
    if (it == egresses_.end()) {
      co_return NotFoundError("egress does not exist");
    }
    if (recording::IsEgressFinished(it->second.status) ||
        it->second.status == EgressStatus::kEnding) {
      co_return Status(StatusCode::kPreconditionFailed, "egress already stopped");
    }
    next = it->second.status == EgressStatus::kActive ? EgressStatus::kEnding
                                                      : EgressStatus::kAborted;
  }
  EgressInfo e = SetEgressStatus(egress_id, next);
  if (next == EgressStatus::kEnding) {
    std::lock_guard lock(mu_);
    egresses_[egress_id].details = "End reason: StopEgress API";
    e.details = "End reason: StopEgress API";
  }
  co_return e;
}

Task<Result<std::vector<EgressInfo>>> FakeLiveKit::ListEgress(recording::ListEgressFilter filter) {
  if (auto f = TakeFault("ListEgress")) {
    co_return *f;
  }
  std::lock_guard lock(mu_);
  std::vector<EgressInfo> out;
  if (filter.egress_id) {
    auto it = egresses_.find(*filter.egress_id);
    if (it == egresses_.end()) {
      co_return NotFoundError("egress does not exist");
    }
    out.push_back(it->second);
    co_return out;
  }
  for (const auto& [id, e] : egresses_) {
    if (filter.room_name && e.room_name != *filter.room_name) {
      continue;
    }
    if (filter.active && recording::IsEgressFinished(e.status)) {
      continue;
    }
    out.push_back(e);
  }
  co_return out;
}

}  // namespace mr::fakes
