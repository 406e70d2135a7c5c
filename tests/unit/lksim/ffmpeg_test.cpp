// The real encoder: a short ffmpeg recording through LkSim (h264 + aac), and a fragmented MP4
// that stays readable after ffmpeg is SIGKILLed mid-recording.

#include <signal.h>

#include <array>
#include <cstdio>
#include <memory>

#include "lksim/ffmpeg_encoder.hpp"
#include "lksim_test_support.hpp"

namespace mr::lksim::test {
namespace {

// ffprobe's codec names for `file`, one per stream ("h264\naac\n"); empty if unreadable.
std::string ProbeCodecs(const std::filesystem::path& file) {
  const std::string cmd = "ffprobe -v error -show_entries stream=codec_name -of csv=p=0 '" +
                          file.string() + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) {
    return "";
  }
  std::string out;
  std::array<char, 256> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get()) != nullptr) {
    out += buf.data();
  }
  return out;
}

bool HaveFfmpeg() { return std::system("ffmpeg -version >/dev/null 2>&1") == 0; }

class FfmpegSimTest : public SimFixture {
 protected:
  void SetUp() override {
    if (!HaveFfmpeg()) {
      GTEST_SKIP() << "ffmpeg not installed";
    }
    StartSim([](LkSimOptions& o) { o.encoder = EncoderKind::kFfmpeg; });
  }
};

TEST_F(FfmpegSimTest, TwoParticipantRecordingIsH264AndAac) {
  ASSERT_EQ(Join("room1", "alice", "Alice").status, 201);
  ASSERT_EQ(Join("room1", "bob", "Bob").status, 201);
  const std::string id = StartEgress("room1", "rec/{room_name}.mp4")["egress_id"];
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_ACTIVE"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Json stop = CallJson("Egress", "StopEgress", Json{{"egressId", id}}, Json{{"roomRecord", true}});
  EXPECT_EQ(stop["status"], "EGRESS_ENDING");
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_COMPLETE"; },
                      std::chrono::milliseconds(20000)));
  Json e = Egress(id);
  EXPECT_NE(e["file_results"][0]["size"], "0");
  EXPECT_NE(e["file_results"][0]["duration"], "0");
  EXPECT_EQ(ProbeCodecs(dir_ / "rec/room1.mp4"), "h264\naac\n");
}

class RecordingListener final : public EncoderListener {
 public:
  void OnEncoderStarted() override { started = true; }
  void OnEncoderProgress(int64_t) override {}
  void OnEncoderEos(EncoderResult) override { eos = true; }
  void OnEncoderError(std::string m) override {
    std::lock_guard<std::mutex> lock(mu);
    error = m;
    failed = true;
  }
  std::atomic<bool> started{false};
  std::atomic<bool> eos{false};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string error;  // guarded by mu
};

TEST(FfmpegEncoderTest, FragmentedMp4SurvivesSigkill) {
  if (!HaveFfmpeg()) {
    GTEST_SKIP() << "ffmpeg not installed";
  }
  IoThreads io(1);
  SystemClock clock;
  const auto dir =
      std::filesystem::temp_directory_path() / ("lksim-ffmpeg-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto listener = std::make_shared<RecordingListener>();
  FfmpegEncoder enc(io.ioc().get_executor(), clock);
  EncoderJob job;
  job.output = dir / "sub/killed.mp4";
  job.tile_names = {"alice", "bob"};
  ASSERT_TRUE(enc.Start(job, listener).ok());
  ASSERT_TRUE(WaitFor([&] { return listener->started.load(); }));
  // Let at least two 0.5 s fragments reach the file, then kill without warning.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(::kill(enc.PidForTest(), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return listener->failed.load(); }));
  {
    std::lock_guard<std::mutex> lock(listener->mu);
    EXPECT_EQ(listener->error, "ffmpeg killed by signal 9");
  }
  EXPECT_FALSE(listener->eos);
  EXPECT_EQ(ProbeCodecs(job.output), "h264\naac\n");
  std::filesystem::remove_all(dir);
}

TEST(FfmpegArgsTest, GridAndFragmentFlags) {
  EncoderJob job;
  job.output = "/x/y.mp4";
  job.tile_names = {"a", "b", "c"};
  auto args = FfmpegArgs(job, FfmpegOptions{});
  std::string joined;
  for (auto& a : args) {
    joined += a + " ";
  }
  EXPECT_NE(joined.find("xstack=inputs=4:layout=0_0|320_0|0_180|320_180"), std::string::npos);
  EXPECT_NE(joined.find("frag_keyframe+empty_moov+default_base_moof"), std::string::npos);
  EXPECT_NE(joined.find("text='c'"), std::string::npos);
  EXPECT_EQ(args.back(), "/x/y.mp4");
}

}  // namespace
}  // namespace mr::lksim::test
