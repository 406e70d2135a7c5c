// LiveKit benchmark (issue 3). Prints:
//   twirp_roundtrip: p50/p99 of ListRooms from the C++ client to an in-process lksim (loopback);
//   webhook_verify_decode: verified+decoded webhook events per second on one core (signature,
//     claims, body hash, JSON decode), for the spec's egress_ended body;
//   ffmpeg_cpu_s_per_min: CPU seconds ffmpeg spends per minute of recorded 640x360 grid video with
//     4 participants, measured with wait4's rusage over a real-time run of BENCH_FFMPEG_SECONDS.
// Usage: build/bench/livekit_bench   (env BENCH_FFMPEG_SECONDS, default 10). Loopback only.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include "common/beast_http_client.hpp"
#include "common/clock.hpp"
#include "common/jwt.hpp"
#include "livekit/twirp_client.hpp"
#include "livekit/webhook_receiver.hpp"
#include "lksim/ffmpeg_encoder.hpp"
#include "lksim/lksim.hpp"

using namespace mr;
using Clock_ = std::chrono::steady_clock;

namespace {

double Us(Clock_::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

void TwirpRoundTrip() {
  asio::io_context sim_ioc;
  SystemClock clock;
  lksim::LkSimOptions o;
  o.port = 0;
  o.encoder = lksim::EncoderKind::kNone;
  o.storage_dir = std::filesystem::temp_directory_path() / "mr-lk-bench";
  lksim::LkSim sim(sim_ioc, clock, o);
  if (!sim.Start().ok()) {
    std::printf("twirp_roundtrip: lksim did not start\n");
    return;
  }
  auto guard = asio::make_work_guard(sim_ioc);
  std::thread t([&] { sim_ioc.run(); });
  asio::io_context ioc;
  BeastHttpClient http(ioc.get_executor());
  livekit::LiveKitOptions lo;
  lo.private_url = "http://127.0.0.1:" + std::to_string(sim.port());
  livekit::TwirpLiveKitClient client(http, lo, clock);
  std::vector<double> samples;
  const int n = 2000;
  for (int i = 0; i < n + 100; ++i) {
    auto t0 = Clock_::now();
    auto r = RunTask(ioc, client.ListRooms({}));
    if (!r.ok()) {
      std::printf("twirp_roundtrip: %s\n", r.status().ToString().c_str());
      break;
    }
    if (i >= 100) {  // Warm-up excluded.
      samples.push_back(Us(Clock_::now() - t0));
    }
  }
  std::sort(samples.begin(), samples.end());
  if (!samples.empty()) {
    std::printf("twirp_roundtrip_listrooms: n=%zu p50=%.0fus p99=%.0fus (new connection per call)\n",
                samples.size(), samples[samples.size() / 2], samples[samples.size() * 99 / 100]);
  }
  asio::co_spawn(sim_ioc, sim.Stop(), asio::detached);
  guard.reset();
  t.join();
}

void WebhookThroughput() {
  // The spec's egress_ended webhook body (livekit-protocol.md §7.4), signed as LiveKit signs it.
  const std::string body =
      R"({"event":"egress_ended","egressInfo":{"egressId":"EG_bCPCMiM2Lvw5","roomId":"RM_ZZGNQLHk3h4r",)"
      R"("roomName":"my-room","status":"EGRESS_COMPLETE","startedAt":"1727000000123456789",)"
      R"("endedAt":"1727000010223456789","updatedAt":"1727000010223456789","details":"End reason: StopEgress API",)"
      R"("roomComposite":{"roomName":"my-room","layout":"grid","fileOutputs":[{"filepath":"openvidu-meet/recordings/my-room/my-room--0123456789"}]},)"
      R"("fileResults":[{"filename":"openvidu-meet/recordings/my-room/my-room--0123456789.mp4","startedAt":"1727000000123456789",)"
      R"("endedAt":"1727000010223456789","duration":"10100000000","size":"1234567","location":"/data/x.mp4"}]},)"
      R"("id":"EV_3Rz9aBcDeF2g","createdAt":"1727000010"})";
  SystemClock clock;
  const int64_t now = clock.NowMs() / 1000;
  Json claims = {{"iss", "devkey"}, {"nbf", now}, {"exp", now + 300},
                 {"sha256", jwt::Base64Encode(jwt::Sha256(body))}};
  const std::string token = jwt::SignHs256(claims, "secret");
  livekit::WebhookReceiver receiver("devkey", "secret", clock);
  const int n = 50000;
  int ok = 0;
  auto t0 = Clock_::now();
  for (int i = 0; i < n; ++i) {
    ok += receiver.Receive(body, token).ok() ? 1 : 0;
  }
  const double s = std::chrono::duration<double>(Clock_::now() - t0).count();
  std::printf("webhook_verify_decode: %.0f events/s on one core (%d/%d verified)\n", n / s, ok, n);
}

void FfmpegCpu() {
  const char* env = std::getenv("BENCH_FFMPEG_SECONDS");
  const int seconds = env ? std::atoi(env) : 10;
  lksim::EncoderJob job;
  job.output = std::filesystem::temp_directory_path() / "mr-lk-bench.mp4";
  job.tile_names = {"Alice", "Bob", "Carol", "Dave"};
  lksim::FfmpegOptions fo;
  auto args = lksim::FfmpegArgs(job, fo);
  // Bound the run: stop after `seconds` of output.
  args.insert(args.end() - 1, {"-t", std::to_string(seconds)});
  std::vector<char*> argv;
  std::string bin = "ffmpeg";
  argv.push_back(bin.data());
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp("ffmpeg", argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  const double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                     ru.ru_stime.tv_usec / 1e6;
  std::printf("ffmpeg_cpu_s_per_min_640x360_4_participants: %.2f (%.2f CPU-s for %d s, exit %d)\n",
              cpu * 60.0 / seconds, cpu, seconds, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  std::filesystem::remove(job.output);
}

}  // namespace

int main() {
  WebhookThroughput();
  TwirpRoundTrip();
  FfmpegCpu();
  return 0;
}
