#pragma once
// FfmpegEncoder: the real Encoder. It runs `ffmpeg` as a child process that renders a grid of the
// room's participants (one testsrc2 tile per participant with the name drawn on it, black filler
// tiles, at most 16 tiles) plus a 440 Hz sine tone, in real time (-re), encoded as H.264 + AAC in
// fragmented MP4 (-movflags frag_keyframe+empty_moov+default_base_moof, 0.5 s fragments,
// -flush_packets 1), so the file stays readable if ffmpeg is killed. OGG uses Opus and MP3 uses
// LAME (audio only). "Started" is reported once the file grows past its first write (the header).
// The tile set is the participants at start time; later joins are not drawn.
//
// Process handling: the child is started with posix_spawnp (stdin from /dev/null, stdout and
// stderr appended to `log_file`, or /dev/null). A watcher thread polls waitpid and the output
// size every 50 ms, so the child is always reaped (no zombies). Stop() sends SIGINT; ffmpeg then
// finishes the file and exits with 255 (or 0), which is reported as EOS. If it has not exited
// `stop_grace` after SIGINT it is killed (SIGKILL) and the run ends in OnError. Any exit that was
// not asked for is OnError. The destructor of a running encoder sends SIGINT, waits up to
// `stop_grace`, then SIGKILL, reaps the child and joins the thread, reporting nothing.
// Names drawn on tiles are reduced to [A-Za-z0-9 ._@-] (others become '_') because drawtext
// has its own escaping levels.
// Thread safety: as Encoder; callbacks are posted to `executor`.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "lksim/encoder.hpp"

namespace mr::lksim {

struct FfmpegOptions {
  std::string ffmpeg = "ffmpeg";   // Looked up on PATH unless it contains a '/'.
  std::filesystem::path log_file;  // ffmpeg's stderr; empty = discarded.
  std::string font_file = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  // The composite canvas: fixed whatever the participant count, as LiveKit's room composite is;
  // tiles are the canvas divided by the grid.
  int canvas_width = 640;
  int canvas_height = 360;
  int fps = 15;
  std::chrono::milliseconds stop_grace{5000};
};

// The ffmpeg argument vector (without argv[0]) for `job`. Exposed for tests.
std::vector<std::string> FfmpegArgs(const EncoderJob& job, const FfmpegOptions& options);

class FfmpegEncoder final : public Encoder {
 public:
  FfmpegEncoder(asio::any_io_executor executor, const Clock& clock, FfmpegOptions options = {});
  ~FfmpegEncoder() override;
  FfmpegEncoder(const FfmpegEncoder&) = delete;
  FfmpegEncoder& operator=(const FfmpegEncoder&) = delete;

  // Errors: kInternal when the directory cannot be created, kUnavailable when ffmpeg cannot be
  // spawned.
  Status Start(const EncoderJob& job, std::weak_ptr<EncoderListener> listener) override;
  void Stop() override;

  // The child's pid while it may run (0 before Start), for tests that kill it.
  pid_t PidForTest() const { return pid_; }

 private:
  void Watch();
  void Post(std::function<void(EncoderListener&)> fn);

  asio::any_io_executor executor_;
  const Clock& clock_;
  FfmpegOptions options_;
  EncoderJob job_;
  std::weak_ptr<EncoderListener> listener_;
  pid_t pid_ = 0;
  std::thread watcher_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int64_t> stop_requested_at_ms_{0};  // Monotonic ms of the SIGINT.
  std::atomic<bool> silent_{false};               // Set by the destructor: report nothing.
  std::atomic<bool> exited_{false};               // The child was reaped.
};

}  // namespace mr::lksim
