#include "lksim/ffmpeg_encoder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>

extern char** environ;

namespace mr::lksim {
namespace {

std::string SafeName(const std::string& name) {
  std::string out;
  for (char c : name.substr(0, 40)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '.' ||
                    c == '_' || c == '@' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

int64_t MonoMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic().time_since_epoch())
      .count();
}

}  // namespace

std::vector<std::string> FfmpegArgs(const EncoderJob& job, const FfmpegOptions& o) {
  std::vector<std::string> args = {"-hide_banner", "-nostdin", "-loglevel", "error", "-y"};
  const bool video = !job.audio_only && job.file_type == "MP4";
  const bool audio = !job.video_only;
  if (video) {
    const size_t n = std::min<size_t>(16, std::max<size_t>(1, job.tile_names.size()));
    const size_t cols = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    const size_t rows = (n + cols - 1) / cols;
    // Even tile sizes (H.264 with yuv420p needs them); the grid is padded to the exact canvas.
    const int tile_width = static_cast<int>(o.canvas_width / static_cast<int>(cols)) & ~1;
    const int tile_height = static_cast<int>(o.canvas_height / static_cast<int>(rows)) & ~1;
    const std::string size = fmt::format("{}x{}", tile_width, tile_height);
    std::string graph;
    std::string inputs;
    std::string layout;
    for (size_t i = 0; i < cols * rows; ++i) {
      const bool filler = i >= n;
      std::string tile = filler ? fmt::format("color=c=black:s={}:r={}", size, o.fps)
                                : fmt::format("testsrc2=s={}:r={}", size, o.fps);
      if (!filler && i < job.tile_names.size()) {
        tile += fmt::format(
            ",drawtext=fontfile={}:text='{}':x=10:y=10:fontsize=20:fontcolor=white:box=1:"
            "boxcolor=black@0.6",
            o.font_file, SafeName(job.tile_names[i]));
      }
      if (cols * rows == 1) {
        graph = tile + fmt::format(",pad={}:{}[out0]", o.canvas_width, o.canvas_height);
        break;
      }
      graph += fmt::format("{}[t{}];", tile, i);
      inputs += fmt::format("[t{}]", i);
      layout += fmt::format("{}{}_{}", i == 0 ? "" : "|", (i % cols) * tile_width,
                            (i / cols) * tile_height);
    }
    if (cols * rows > 1) {
      graph += fmt::format("{}xstack=inputs={}:layout={},pad={}:{}[out0]", inputs, cols * rows,
                           layout, o.canvas_width, o.canvas_height);
    }
    args.insert(args.end(), {"-re", "-f", "lavfi", "-i", graph});
  }
  if (audio) {
    args.insert(args.end(), {"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"});
  }
  if (video) {
    args.insert(args.end(), {"-map", "0:v"});
    if (audio) {
      args.insert(args.end(), {"-map", "1:a"});
    }
    args.insert(args.end(), {"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                             "-pix_fmt", "yuv420p", "-g", std::to_string(o.fps * 2)});
  } else {
    args.insert(args.end(), {"-map", "0:a"});
  }
  if (audio) {
    if (job.file_type == "OGG") {
      args.insert(args.end(), {"-c:a", "libopus", "-b:a", "64k"});
    } else if (job.file_type == "MP3") {
      args.insert(args.end(), {"-c:a", "libmp3lame", "-b:a", "64k"});
    } else {
      args.insert(args.end(), {"-c:a", "aac", "-b:a", "64k"});
    }
  }
  if (job.file_type == "OGG") {
    args.insert(args.end(), {"-f", "ogg"});
  } else if (job.file_type == "MP3") {
    args.insert(args.end(), {"-f", "mp3"});
  } else {
    args.insert(args.end(), {"-movflags", "frag_keyframe+empty_moov+default_base_moof",
                             "-frag_duration", "500000", "-f", "mp4"});
  }
  // Without this ffmpeg keeps fragments in its I/O buffer, and a killed ffmpeg leaves a file with
  // a header only.
  args.insert(args.end(), {"-flush_packets", "1"});
  args.push_back(job.output.string());
  return args;
}

FfmpegEncoder::FfmpegEncoder(asio::any_io_executor executor, const Clock& clock,
                             FfmpegOptions options)
    : executor_(std::move(executor)), clock_(clock), options_(std::move(options)) {}

FfmpegEncoder::~FfmpegEncoder() {
  silent_ = true;
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGINT);
    const int64_t deadline = MonoMs(clock_) + options_.stop_grace.count();
    while (!exited_ && MonoMs(clock_) < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited_) {
      ::kill(pid_, SIGKILL);
    }
  }
  if (watcher_.joinable()) {
    watcher_.join();
  }
}

Status FfmpegEncoder::Start(const EncoderJob& job, std::weak_ptr<EncoderListener> listener) {
  std::error_code ec;
  std::filesystem::create_directories(job.output.parent_path(), ec);
  if (ec) {
    return InternalError("cannot create " + job.output.parent_path().string() + ": " +
                         ec.message());
  }
  job_ = job;
  listener_ = std::move(listener);
  std::vector<std::string> args = FfmpegArgs(job, options_);
  args.insert(args.begin(), options_.ffmpeg);
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  const std::string log =
      options_.log_file.empty() ? std::string("/dev/null") : options_.log_file.string();
  if (!options_.log_file.empty()) {
    std::filesystem::create_directories(options_.log_file.parent_path(), ec);
  }
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, options_.ffmpeg.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    return UnavailableError(std::string("cannot start ffmpeg: ") + std::strerror(rc));
  }
  pid_ = pid;
  watcher_ = std::thread([this] { Watch(); });
  return Status::Ok();
}

void FfmpegEncoder::Stop() {
  if (pid_ <= 0 || exited_ || stop_requested_.exchange(true)) {
    return;
  }
  stop_requested_at_ms_ = MonoMs(clock_);
  ::kill(pid_, SIGINT);
}

void FfmpegEncoder::Post(std::function<void(EncoderListener&)> fn) {
  if (silent_) {
    return;
  }
  asio::post(executor_, [l = listener_, fn = std::move(fn)] {
    if (auto p = l.lock()) {
      fn(*p);
    }
  });
}

// Runs on the watcher thread until the child is reaped. Polling (rather than SIGCHLD) keeps the
// process-wide signal disposition untouched, which matters in a library embedded in a service.
void FfmpegEncoder::Watch() {
  bool started = false;
  int64_t header_size = 0;  // The first write is the header (ftyp + empty moov): not media yet.
  int64_t started_ms = 0;
  int64_t last_size = 0;
  int64_t last_progress_ms = 0;
  bool killed_after_grace = false;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(job_.output, ec);
    const int64_t bytes = ec ? 0 : static_cast<int64_t>(size);
    const int64_t now = MonoMs(clock_);
    if (r == pid_ || r < 0) {
      exited_ = true;
      const bool clean_exit =
          r == pid_ && ((WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 255)) ||
                        (WIFSIGNALED(st) && WTERMSIG(st) == SIGINT));
      if (stop_requested_ && clean_exit && !killed_after_grace && bytes > 0) {
        const int64_t duration_ns = started ? (now - started_ms) * 1000000 : 0;
        Post([bytes, duration_ns](EncoderListener& l) {
          l.OnEncoderEos(EncoderResult{bytes, duration_ns});
        });
      } else {
        std::string why;
        if (killed_after_grace) {
          why = "ffmpeg did not stop in time and was killed";
        } else if (r < 0) {
          why = std::string("waitpid failed: ") + std::strerror(errno);
        } else if (WIFSIGNALED(st)) {
          why = fmt::format("ffmpeg killed by signal {}", WTERMSIG(st));
        } else if (bytes == 0) {
          why = fmt::format("ffmpeg exited with status {} and wrote nothing", WEXITSTATUS(st));
        } else {
          why = fmt::format("ffmpeg exited with status {}", WEXITSTATUS(st));
        }
        Post([why](EncoderListener& l) { l.OnEncoderError(why); });
      }
      return;
    }
    if (header_size == 0 && bytes > 0) {
      header_size = bytes;
    }
    if (!started && header_size > 0 && bytes > header_size) {
      started = true;
      started_ms = now;
      last_progress_ms = now;
      Post([](EncoderListener& l) { l.OnEncoderStarted(); });
    } else if (started && bytes != last_size && now - last_progress_ms >= 500) {
      last_progress_ms = now;
      Post([bytes](EncoderListener& l) { l.OnEncoderProgress(bytes); });
    }
    last_size = bytes;
    if (stop_requested_ && !killed_after_grace && !silent_ &&
        now - stop_requested_at_ms_ > options_.stop_grace.count()) {
      killed_after_grace = true;
      ::kill(pid_, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace mr::lksim
