#pragma once
// Encoder: what produces an egress's output file. The egress controller starts one per egress
// and learns about it only through an EncoderListener (STYLE rule 10); tests implement the
// listener too.
//
// Callback contract: every listener call is posted to the executor given to the encoder's
// constructor, never made from inside Start/Stop and never from a helper thread, so a listener
// may take its own locks and may destroy the encoder from a callback. The listener is held by
// weak_ptr: callbacks for a listener that is gone are dropped. OnStarted comes at most once and
// before any progress; exactly one of OnEos / OnError ends the run. Destroying a running encoder
// reports nothing.
// Thread safety: Start, Stop and the destructor must be called from one thread at a time.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace mr::lksim {

struct EncoderJob {
  std::filesystem::path output;   // Absolute path; parent dirs are created.
  std::string file_type = "MP4";  // "MP4", "OGG" or "MP3".
  bool audio_only = false;
  bool video_only = false;
  std::vector<std::string> tile_names;  // Participants drawn in the grid (may be empty).
};

struct EncoderResult {
  int64_t size = 0;         // Bytes of the finished file.
  int64_t duration_ns = 0;  // Media duration as measured by the encoder's own clock.
};

class EncoderListener {
 public:
  virtual ~EncoderListener() = default;
  // The first media bytes reached the file.
  virtual void OnEncoderStarted() = 0;
  // The file grew to `bytes` (periodic; may be skipped).
  virtual void OnEncoderProgress(int64_t bytes) = 0;
  // Stop() finished cleanly: the file is complete.
  virtual void OnEncoderEos(EncoderResult result) = 0;
  // The encoder ended without being asked, or failed to finish; the file may be partial.
  virtual void OnEncoderError(std::string message) = 0;
};

class Encoder {
 public:
  // Destroying a running encoder ends it at once (its process is killed and reaped) and reports
  // nothing.
  virtual ~Encoder() = default;
  // Begins encoding `job`. An error here (e.g. the output directory cannot be created) means no
  // callback will follow. REQUIRES: called once.
  virtual Status Start(const EncoderJob& job, std::weak_ptr<EncoderListener> listener) = 0;
  // Asks for end of stream; OnEos (or OnError) follows. Idempotent; no-op after the end.
  virtual void Stop() = 0;
};

}  // namespace mr::lksim
