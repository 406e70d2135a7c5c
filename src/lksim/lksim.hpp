#pragma once
// LkSim: an embedded LiveKit-compatible server (LiveKit + Egress stand-in) for one-machine mode
// and tests. It speaks the LiveKit protocol as described in /work/shared/spec/livekit-protocol.md:
//   - Twirp JSON API on `/twirp/livekit.RoomService/*` (CreateRoom, ListRooms, DeleteRoom,
//     ListParticipants, GetParticipant, RemoveParticipant, SendData, UpdateRoomMetadata) and
//     `/twirp/livekit.Egress/*` (StartRoomCompositeEgress, StopEgress, ListEgress), with LiveKit's
//     access-token checks, JSON forms and error bodies (JSON only; protobuf is answered with
//     bad_route);
//   - simulated participants and room lifecycle (empty/departure timeouts);
//   - room-composite egress with LiveKit's status lifecycle, recorded by an Encoder (ffmpeg, or
//     the NullEncoder for load tests) into `storage_dir`, and with an EgressUploader then moved
//     to a bucket before the egress completes (uploader.hpp);
//   - signed webhooks to `webhook_urls`;
//   - a control API under `/sim/` (participants, data packets, fault injection), documented in
//     src/lksim/README.md. The control API has no authentication: bind it to loopback.
//
// Time: wall-clock fields (creation times, egress timestamps, token checks) come from the injected
// Clock; timeouts run on asio steady timers whose "second" is `timeout_second` (tests shorten it).
// Thread safety: Start/port/Stop may be called from any thread; the io_context may be run by any
// number of threads (state is guarded by one mutex). Stop must be awaited before destruction for
// a clean end; destruction alone still kills and reaps encoder processes.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "lksim/uploader.hpp"

namespace mr::lksim {

enum class EncoderKind { kFfmpeg, kNone };

struct LkSimOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 7880;  // 0 picks a free port (see LkSim::port()).
  std::string api_key = "devkey";
  std::string api_secret = "secret";
  // Egress files go to storage_dir / filename (a staging folder when `uploader` is set).
  std::filesystem::path storage_dir;
  std::vector<std::string> webhook_urls;
  EncoderKind encoder = EncoderKind::kFfmpeg;
  uint32_t empty_timeout_s = 300;      // Default for rooms created without one (LiveKit: 300).
  uint32_t departure_timeout_s = 20;   // Default for rooms created without one (LiveKit: 20).
  uint32_t max_egress_duration_s = 0;  // 0 = no limit; else LIMIT_REACHED after it.
  // Length of one "second" of the timeouts above; tests set a few milliseconds.
  std::chrono::milliseconds timeout_second{1000};
  // Webhook retry backoff base (waits are base * 1, 2, 4, 8); tests set a few milliseconds.
  std::chrono::milliseconds webhook_backoff_base{1000};
  std::string ffmpeg = "ffmpeg";  // The ffmpeg binary (PATH lookup unless it has a '/').
  // Null: finished files stay under storage_dir. Set: a finished file is uploaded under its
  // filename (no leading '/') while the egress stays ENDING, then removed locally; the egress
  // completes, or fails with "upload failed: ..." (see README.md, "Uploads").
  std::shared_ptr<EgressUploader> uploader;
  // How long Stop waits for in-flight uploads before abandoning them (their egresses stay
  // ENDING, as with a worker that is gone).
  std::chrono::milliseconds upload_stop_timeout{10000};
};

// Reads MEET_EMBEDDED_LIVEKIT_PORT, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, MEET_STORAGE_DIR,
// LIVEKIT_WEBHOOK_URLS (comma-separated, blanks trimmed, empty items dropped) and
// MEET_LKSIM_ENCODER (ffmpeg|none) over the defaults. kInvalidArgument for a bad port or encoder.
Result<LkSimOptions> LkSimOptionsFromEnv(const std::map<std::string, std::string>& env);

class LkSim {
 public:
  LkSim(asio::io_context& ioc, const Clock& clock, LkSimOptions options);
  ~LkSim();
  LkSim(const LkSim&) = delete;
  LkSim& operator=(const LkSim&) = delete;

  // Binds and starts serving. kUnavailable if the port cannot be bound. REQUIRES: called once.
  Status Start();
  // The bound port; 0 before Start.
  uint16_t port() const;
  // Stops accepting, ends every encoder (their egresses are left as they are), cancels timers,
  // drops pending webhooks, waits for in-flight uploads (at most upload_stop_timeout; an upload
  // that ends meanwhile changes no egress) and drains open requests (at most about a second).
  Task<void> Stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mr::lksim
