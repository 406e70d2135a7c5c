#include "lksim/null_encoder.hpp"

#include <boost/asio/post.hpp>
#include <fstream>

#include "lksim/null_mp4.hpp"

namespace mr::lksim {

NullEncoder::NullEncoder(asio::any_io_executor executor, const Clock& clock)
    : executor_(std::move(executor)), clock_(clock) {}

Status NullEncoder::Start(const EncoderJob& job, std::weak_ptr<EncoderListener> listener) {
  std::error_code ec;
  std::filesystem::create_directories(job.output.parent_path(), ec);
  if (ec) {
    return InternalError("cannot create " + job.output.parent_path().string() + ": " +
                         ec.message());
  }
  job_ = job;
  listener_ = std::move(listener);
  started_ = clock_.Monotonic();
  running_ = true;
  asio::post(executor_, [l = listener_] {
    if (auto p = l.lock()) {
      p->OnEncoderStarted();
    }
  });
  return Status::Ok();
}

void NullEncoder::Stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  const auto bytes = NullMp4Bytes();
  std::ofstream out(job_.output, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  const bool ok = static_cast<bool>(out);
  const int64_t duration_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Monotonic() - started_).count();
  asio::post(executor_,
             [l = listener_, ok, duration_ns, size = bytes.size(), path = job_.output.string()] {
               auto p = l.lock();
               if (!p) {
                 return;
               }
               if (ok) {
                 p->OnEncoderEos(EncoderResult{static_cast<int64_t>(size), duration_ns});
               } else {
                 p->OnEncoderError("cannot write " + path);
               }
             });
}

}  // namespace mr::lksim
