#pragma once
// FakeLiveKit: an in-memory, scriptable recording::LiveKit for lifecycle tests. Rooms,
// participants and egresses are plain maps the test edits; egresses only change status when the
// test says so (SetEgressStatus) or through StopEgress, so every interleaving of LiveKit replies
// and webhooks can be constructed by hand. Faults: fail the next call of a method, or hold
// StartRoomCompositeEgress replies until the test releases them (a reply after the timeout).
// Thread safety: a mutex guards the state; meant for single-threaded io_context tests.

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/one_shot.hpp"
#include "recording/livekit_port.hpp"

namespace mr::fakes {

class FakeLiveKit final : public recording::LiveKit {
 public:
  explicit FakeLiveKit(const Clock& clock) : clock_(clock) {}

  // Script.
  void AddRoom(const std::string& name, int participants = 1, int publishers = 1);
  void RemoveRoom(const std::string& name);
  void AddEgressParticipant(const std::string& room);  // A recorder; must not count as a person.
  // The next call of `method` (e.g. "StartRoomCompositeEgress") fails with `status`.
  void FailNext(const std::string& method, Status status);
  // While held, StartRoomCompositeEgress creates the egress at once but only replies when
  // ReleaseStartReplies() is called.
  void HoldStartReplies(bool hold);
  void ReleaseStartReplies();
  // Changes an egress's status like a LiveKit worker would (times stamped with the clock) and
  // returns its new info, e.g. to pass to RecordingLifecycle::OnEgressEvent.
  recording::EgressInfo SetEgressStatus(const std::string& egress_id, recording::EgressStatus s);
  std::optional<recording::EgressInfo> Egress(const std::string& egress_id);
  // LiveKit no longer knows the egress (e.g. LiveKit restarted).
  void ForgetEgress(const std::string& egress_id);
  std::vector<recording::EgressInfo> Egresses();
  // The last created egress id, "" if none.
  std::string LastEgressId();

  struct SentData {
    std::string room;
    recording::DataMessage message;
  };
  std::vector<SentData> Sent();
  std::vector<std::string> SentTopics(const std::string& room);
  int StartCalls();
  int StopCalls();

  // recording::LiveKit.
  Task<Result<recording::LiveKitRoom>> CreateRoom(std::string name,
                                                  recording::CreateRoomOptions options) override;
  Task<Result<std::vector<recording::LiveKitRoom>>> ListRooms(std::vector<std::string> names) override;
  Task<Status> DeleteRoom(std::string name) override;
  Task<Result<std::vector<recording::ParticipantInfo>>> ListParticipants(std::string room) override;
  Task<Result<recording::ParticipantInfo>> GetParticipant(std::string room,
                                                          std::string identity) override;
  Task<Status> RemoveParticipant(std::string room, std::string identity) override;
  Task<Status> SendData(std::string room, recording::DataMessage message) override;
  Task<Result<recording::LiveKitRoom>> UpdateRoomMetadata(std::string room,
                                                          std::string metadata) override;
  Task<Result<recording::EgressInfo>> StartRoomCompositeEgress(
      recording::RoomCompositeRequest request) override;
  Task<Result<recording::EgressInfo>> StopEgress(std::string egress_id) override;
  Task<Result<std::vector<recording::EgressInfo>>> ListEgress(
      recording::ListEgressFilter filter) override;

 private:
  std::optional<Status> TakeFault(const std::string& method);
  int64_t NowNs() const { return clock_.NowMs() * 1'000'000; }

  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, recording::LiveKitRoom> rooms_;
  std::map<std::string, std::vector<recording::ParticipantInfo>> participants_;
  std::map<std::string, recording::EgressInfo> egresses_;
  std::map<std::string, std::deque<Status>> faults_;
  bool hold_ = false;
  std::vector<std::shared_ptr<OneShot>> held_;
  std::vector<SentData> sent_;
  std::string last_egress_;
  int egress_seq_ = 0;
  int start_calls_ = 0;
  int stop_calls_ = 0;
};

}  // namespace mr::fakes
