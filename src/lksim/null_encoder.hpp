#pragma once
// NullEncoder (`MEET_LKSIM_ENCODER=none`): an Encoder for load tests. It starts at once and, on
// Stop, writes a small embedded MP4 (1 s, 16x16 H.264 + AAC; see null_mp4.hpp) to the output
// path, so downstream code sees a real, playable file without any subprocess or CPU cost. The
// reported duration is the wall time between Start and Stop (from the injected Clock), not the
// file's 1 s; whatever the requested type, the bytes are MP4.
// Thread safety: as Encoder. Callbacks are posted to `executor`.

#include "common/async.hpp"
#include "common/clock.hpp"
#include "lksim/encoder.hpp"

namespace mr::lksim {

class NullEncoder final : public Encoder {
 public:
  NullEncoder(asio::any_io_executor executor, const Clock& clock);
  Status Start(const EncoderJob& job, std::weak_ptr<EncoderListener> listener) override;
  void Stop() override;

 private:
  asio::any_io_executor executor_;
  const Clock& clock_;
  EncoderJob job_;
  std::weak_ptr<EncoderListener> listener_;
  MonoTime started_{};
  bool running_ = false;
};

}  // namespace mr::lksim
