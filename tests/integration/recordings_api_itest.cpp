// The recordings catalogue API, driven over HTTP against the real binary, over a storage folder
// seeded exactly as OpenVidu Meet lays out its bucket (reference §4).

#include <gtest/gtest.h>

#include <cstdio>
#include <chrono>
#include <filesystem>
#include <thread>

#include "common/json.hpp"
#include "service_process.hpp"

namespace mr::test {
namespace {

const char* kKey = "itest-key";
const HeaderList kAuth = {{"x-api-key", kKey}};

struct Seed {
  std::string room, egress, uid, status;
  std::string start;  // As OpenVidu writes it (may be fractional).
  bool media;
};

const std::vector<Seed> kSeeds = {
    {"roomA", "EG_aaa", "0000000001", "complete", "1727000000123.4568", true},
    {"roomA", "EG_bbb", "0000000002", "active", "1727000100000", false},
    {"roomA2", "EG_ccc", "0000000003", "complete", "1727000200000", false},
    {"roomB", "EG_ddd", "0000000004", "failed", "1727000050000", false},
};

std::string Media() {
  std::string m(1000000, '\0');
  for (size_t i = 0; i < m.size(); ++i) {
    m[i] = static_cast<char>((i * 7) % 256);
  }
  return m;
}

std::string Id(const Seed& s) { return s.room + "--" + s.egress + "--" + s.uid; }

class RecordingsApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto sub = dir_->path() / "openvidu-meet" / "recordings";
    for (const auto& s : kSeeds) {
      WriteFile(sub / ".metadata" / s.room / s.egress / (s.uid + ".json"),
                R"({"recordingId":")" + Id(s) + R"(","roomId":")" + s.room +
                    R"(","roomName":"Room )" + s.room + R"(","status":")" + s.status +
                    R"(","filename":")" + s.room + "--" + s.uid + R"(.mp4","startDate":)" + s.start +
                    "}");
      WriteFile(sub / ".secrets" / s.room / s.egress / (s.uid + ".json"),
                R"({"publicAccessSecret":"pub)" + s.uid + R"(","privateAccessSecret":"priv)" + s.uid +
                    R"("})");
      if (s.media) {
        WriteFile(sub / s.room / (s.room + "--" + s.uid + ".mp4"), Media());
      }
    }
    WriteFile(sub / ".room_metadata" / "roomA" / "room_metadata.json", R"({"config":{}})");
    WriteFile(sub / ".metadata" / "roomA" / "EG_x" / "notes.txt", "not a record");
    // The seeded in-progress recording has no egress in the embedded LiveKit; the start-up
    // reconciliation would settle it `aborted`, so it is told to leave records this old alone.
    service_ = new ServiceProcess({{"MEET_STORAGE_DIR", dir_->path().string()},
                                   {"MEET_INITIAL_API_KEY", kKey},
                                   {"MEET_BASE_URL", "https://meet.example.com"},
                                   {"MEET_RECORDING_RECONCILE_MIN_AGE", "36500d"}});
  }
  static void TearDownTestSuite() {
    delete service_;
    delete dir_;
  }
  static Json GetJson(const std::string& target, int expected_status) {
    auto r = service_->Get(target, kAuth);
    EXPECT_EQ(r.status, expected_status) << target << " -> " << r.body;
    return Json::parse(r.body);
  }
  static inline TempDir* dir_ = nullptr;
  static inline ServiceProcess* service_ = nullptr;
};

TEST_F(RecordingsApiTest, ApiKeyIsRequired) {
  auto r = service_->Get("/api/v1/recordings");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json::parse(r.body), (Json{{"error", "Authentication Error"}, {"message", "Unauthorized"}}));
  r = service_->Get("/api/v1/recordings", {{"x-api-key", "wrong"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json::parse(r.body)["message"], "Invalid API key");
}

TEST_F(RecordingsApiTest, ListsNewestFirstWithIntegerDates) {
  Json j = GetJson("/api/v1/recordings", 200);
  std::vector<std::string> ids;
  for (auto& r : j["recordings"]) {
    ids.push_back(r["recordingId"]);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{Id(kSeeds[2]), Id(kSeeds[1]), Id(kSeeds[3]), Id(kSeeds[0])}));
  EXPECT_EQ(j["recordings"][3]["startDate"], 1727000000123);
  EXPECT_EQ(j["pagination"], (Json{{"isTruncated", false}, {"maxItems", 10}}));
}

TEST_F(RecordingsApiTest, PagesWithOpaqueTokens) {
  std::vector<std::string> ids;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    Json j = GetJson("/api/v1/recordings?maxItems=3" + (token.empty() ? "" : "&nextPageToken=" + token), 200);
    for (auto& r : j["recordings"]) {
      ids.push_back(r["recordingId"]);
    }
    if (!j["pagination"]["isTruncated"].get<bool>()) {
      EXPECT_FALSE(j["pagination"].contains("nextPageToken"));
      break;
    }
    token = j["pagination"]["nextPageToken"];
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids.back(), Id(kSeeds[0]));
}

TEST_F(RecordingsApiTest, Filters) {
  // Room "roomA" never matches "roomA2" (Q10).
  Json j = GetJson("/api/v1/recordings?roomId=roomA", 200);
  EXPECT_EQ(j["recordings"].size(), 2u);
  j = GetJson("/api/v1/recordings?status=complete,failed", 200);
  EXPECT_EQ(j["recordings"].size(), 3u);
  j = GetJson("/api/v1/recordings?roomId=roomA&status=complete", 200);
  ASSERT_EQ(j["recordings"].size(), 1u);
  EXPECT_EQ(j["recordings"][0]["recordingId"], Id(kSeeds[0]));
  j = GetJson("/api/v1/recordings?startDateFrom=1727000050000&startDateTo=1727000100000", 200);
  EXPECT_EQ(j["recordings"].size(), 2u);
  j = GetJson("/api/v1/recordings?fields=recordingId,status&maxItems=1", 200);
  EXPECT_EQ(j["recordings"][0], (Json{{"recordingId", Id(kSeeds[2])}, {"status", "complete"}}));
}

TEST_F(RecordingsApiTest, ListValidation) {
  Json j = GetJson("/api/v1/recordings?maxItems=abc", 422);
  EXPECT_EQ(j["details"][0], (Json{{"field", "maxItems"}, {"message", "Expected number, received nan"}}));
  j = GetJson("/api/v1/recordings?maxItems=0", 422);
  EXPECT_EQ(j["details"][0]["message"], "maxItems must be a positive number");
  j = GetJson("/api/v1/recordings?maxItems=100000", 200);
  EXPECT_EQ(j["pagination"]["maxItems"], 100);
  j = GetJson("/api/v1/recordings?maxItems=2.9", 200);
  EXPECT_EQ(j["pagination"]["maxItems"], 2);
  j = GetJson("/api/v1/recordings?nextPageToken=garbage", 422);
  EXPECT_EQ(j["details"][0]["field"], "nextPageToken");
  j = GetJson("/api/v1/recordings?status=done", 422);
  EXPECT_EQ(j["details"][0]["field"], "status");
  j = GetJson("/api/v1/recordings?roomId=%21%21", 422);
  EXPECT_EQ(j["details"][0]["message"], "roomId cannot be empty after sanitization");
  j = GetJson("/api/v1/recordings?fields=a&fields=b", 422);
  EXPECT_EQ(j["details"][0]["message"], "Expected string, received array");
}

TEST_F(RecordingsApiTest, GetOne) {
  Json j = GetJson("/api/v1/recordings/" + Id(kSeeds[0]), 200);
  EXPECT_EQ(j["status"], "complete");
  EXPECT_EQ(j["roomName"], "Room roomA");
  j = GetJson("/api/v1/recordings/" + Id(kSeeds[0]) + "?fields=status", 200);
  EXPECT_EQ(j, (Json{{"status", "complete"}}));
  j = GetJson("/api/v1/recordings/roomZ--EG_zzz--0000000009", 404);
  EXPECT_EQ(j, (Json{{"error", "Recording Error"}, {"message", "Recording 'roomZ--EG_zzz--0000000009' not found"}}));
}

TEST_F(RecordingsApiTest, BadIdsAre422NeverAPathOutsideTheRoot) {
  for (const char* bad : {"incorrect-format", "roomA--EG_aaa--..%2F..%2Fx", "roomA--EG_aaa%2F..--x",
                          "..", "roomA--EG_..--0000000001", "roomA--EG_aaa--0000000001.json"}) {
    auto r = service_->Get(std::string("/api/v1/recordings/") + bad, kAuth);
    EXPECT_EQ(r.status, 422) << bad << " " << r.body;
    if (r.status == 422) {
      EXPECT_EQ(Json::parse(r.body)["details"][0]["field"], "params.recordingId");
    }
  }
}

TEST_F(RecordingsApiTest, SecretAccess) {
  const std::string id = Id(kSeeds[0]);
  auto r = service_->Get("/api/v1/recordings/" + id + "?secret=pub0000000001");
  EXPECT_EQ(r.status, 200) << r.body;
  r = service_->Get("/api/v1/recordings/" + id + "/media?secret=pub0000000001", {{"range", "bytes=0-9"}});
  EXPECT_EQ(r.status, 206);
  r = service_->Get("/api/v1/recordings/" + id + "?secret=nope");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json::parse(r.body)["message"], "Secret 'nope' is not recognized for recording '" + id + "'");
  r = service_->Get("/api/v1/recordings/" + id + "?secret=priv0000000001");
  EXPECT_EQ(r.status, 401);
  r = service_->Get("/api/v1/recordings/" + id + "?secret=priv0000000001", kAuth);
  EXPECT_EQ(r.status, 200);
}

TEST_F(RecordingsApiTest, Media) {
  const std::string media = Media();
  const std::string base = "/api/v1/recordings/" + Id(kSeeds[0]) + "/media";
  auto r = service_->Get(base, kAuth);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, media);
  EXPECT_EQ(r.Header("content-type"), "video/mp4");
  EXPECT_EQ(r.Header("accept-ranges"), "bytes");
  EXPECT_EQ(r.Header("cache-control"), "public, max-age=3600");
  EXPECT_EQ(r.Header("content-length"), "1000000");

  HeaderList h = kAuth;
  h.push_back({"range", "bytes=100-199"});
  r = service_->Get(base, h);
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, media.substr(100, 100));
  EXPECT_EQ(r.Header("content-range"), "bytes 100-199/1000000");

  h.back().second = "bytes=999000-";  // To the end of the file.
  r = service_->Get(base, h);
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, media.substr(999000));

  h.back().second = "bytes=100-50";
  EXPECT_EQ(service_->Get(base, h).status, 416);
  h.back().second = "bytes=1000000-";
  r = service_->Get(base, h);
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(Json::parse(r.body)["message"],
            "Recording '" + Id(kSeeds[0]) + "' range not satisfiable. File size: 1000000");
  for (const char* bad : {"bytes=-5", "bytes=1-2,5-6", "lines=1-2", "bytes=abc"}) {
    h.back().second = bad;
    r = service_->Get(base, h);
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_EQ(Json::parse(r.body)["details"][0]["field"], "headers.range");
  }
  // Not complete → 409; complete but no media file → 404 (Q7).
  EXPECT_EQ(service_->Get("/api/v1/recordings/" + Id(kSeeds[1]) + "/media", kAuth).status, 409);
  EXPECT_EQ(service_->Get("/api/v1/recordings/" + Id(kSeeds[2]) + "/media", kAuth).status, 404);
}

TEST_F(RecordingsApiTest, Url) {
  Json j = GetJson("/api/v1/recordings/" + Id(kSeeds[0]) + "/url", 200);
  EXPECT_EQ(j["url"], "https://meet.example.com/recording/" + Id(kSeeds[0]) + "?secret=pub0000000001");
  j = GetJson("/api/v1/recordings/" + Id(kSeeds[0]) + "/url?privateAccess=TRUE", 200);
  EXPECT_EQ(j["url"], "https://meet.example.com/recording/" + Id(kSeeds[0]) + "?secret=priv0000000001");
}

TEST_F(RecordingsApiTest, ZipDownloadStreamsStoredEntries) {
  auto r = service_->Get("/api/v1/recordings/download?recordingIds=" + Id(kSeeds[0]) + "," + Id(kSeeds[1]),
                         kAuth);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/zip");
  EXPECT_EQ(r.Header("content-disposition"), "attachment; filename=\"recordings.zip\"");
  TempDir tmp;
  WriteFile(tmp.path() / "r.zip", r.body);
  std::string cmd = "python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
                    "assert z.testzip() is None; print([(i.filename,i.file_size) for i in z.infolist()])\" " +
                    (tmp.path() / "r.zip").string();
  FILE* p = popen(cmd.c_str(), "r");
  char buf[256] = {0};
  std::string out;
  while (p && fgets(buf, sizeof buf, p)) {
    out += buf;
  }
  pclose(p);
  // The active recording is skipped, as in the reference.
  EXPECT_EQ(out, "[('roomA--0000000001.mp4', 1000000)]\n");
}

TEST_F(RecordingsApiTest, UnknownPathsAndMethods) {
  auto r = service_->Get("/api/v1/nothing", kAuth);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body), (Json{{"error", "Path Not Found"}, {"message", "API path not implemented"}}));
  EXPECT_EQ(TestHttpRequest(service_->port(), "PATCH", "/api/v1/recordings", kAuth).status, 404);
}

// Deletion runs last in this suite (it changes the seeded folder); gtest runs tests in order.
TEST_F(RecordingsApiTest, ZZDeleteOneAndBulk) {
  auto del = [](const std::string& target) { return TestHttpRequest(service_->port(), "DELETE", target, kAuth); };
  auto r = del("/api/v1/recordings/" + Id(kSeeds[1]));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Json::parse(r.body)["message"], "Recording '" + Id(kSeeds[1]) + "' is not stopped yet");

  r = del("/api/v1/recordings?recordingIds=" + Id(kSeeds[1]) + ",roomQ--EG_q--1," + Id(kSeeds[3]));
  EXPECT_EQ(r.status, 400);
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["message"], "2 recording(s) could not be deleted");
  EXPECT_EQ(j["deleted"], Json::array({Id(kSeeds[3])}));
  EXPECT_EQ(j["failed"][1], (Json{{"recordingId", "roomQ--EG_q--1"}, {"error", "Recording 'roomQ--EG_q--1' not found"}}));

  r = del("/api/v1/recordings?recordingIds=a,,bad");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Json::parse(r.body)["details"][0]["field"], "recordingIds.0");
  EXPECT_EQ(del("/api/v1/recordings").status, 422);

  r = del("/api/v1/recordings/" + Id(kSeeds[0]));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["message"], "Recording '" + Id(kSeeds[0]) + "' deleted successfully");
  EXPECT_EQ(service_->Get("/api/v1/recordings/" + Id(kSeeds[0]), kAuth).status, 404);
  auto sub = dir_->path() / "openvidu-meet" / "recordings";
  EXPECT_FALSE(std::filesystem::exists(sub / "roomA" / "roomA--0000000001.mp4"));
  // roomA still has the active recording, so its archived metadata stays.
  EXPECT_TRUE(std::filesystem::exists(sub / ".room_metadata" / "roomA" / "room_metadata.json"));
  j = GetJson("/api/v1/recordings", 200);
  EXPECT_EQ(j["recordings"].size(), 2u);
}

TEST(ReindexCommandTest, ReportsWhatItFound) {
  TempDir dir;
  WriteFile(dir.path() / "openvidu-meet/recordings/.metadata/r1/EG_1/abc.json",
            R"({"recordingId":"r1--EG_1--abc","roomId":"r1","roomName":"x","status":"complete","startDate":5})");
  WriteFile(dir.path() / "openvidu-meet/recordings/.metadata/r1/EG_2/abc.json", "{broken");
  auto r = RunBinary({{"MEET_STORAGE_DIR", dir.path().string()}}, {"reindex"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("indexed 1 recordings (1 objects skipped)"), std::string::npos) << r.output;
}

TEST(StartupTest, InvalidConfigurationStopsWithOneClearLine) {
  auto r = RunBinary({{"SERVER_PORT", "99999"}}, {"serve"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "meet-recorder: invalid configuration: SERVER_PORT must be a port number (0-65535), got '99999'\n");
}

}  // namespace
}  // namespace mr::test

namespace mr::test {
namespace {

TEST(SnapshotRestartTest, RestartServesFromSnapshotAndPicksUpOutOfBandRecords) {
  TempDir dir;
  auto meta = [&](const std::string& egress, int start) {
    WriteFile(dir.path() / "openvidu-meet/recordings/.metadata/r1" / egress / "abc.json",
              R"({"recordingId":"r1--)" + egress + R"(--abc","roomId":"r1","roomName":"x","status":"complete","startDate":)" +
                  std::to_string(start) + "}");
  };
  meta("EG_1", 1);
  const std::map<std::string, std::string> env = {{"MEET_STORAGE_DIR", dir.path().string()},
                                                  {"MEET_INITIAL_API_KEY", kKey}};
  {
    ServiceProcess first(env);
    EXPECT_EQ(first.Stop(), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(dir.path() / ".mr-index/catalogue.tsv"));
  meta("EG_2", 2);  // Copied in while the service was down.
  ServiceProcess second(env);
  size_t count = 0;
  for (int i = 0; i < 500 && count != 2; ++i) {
    auto r = second.Get("/api/v1/recordings", kAuth);
    count = Json::parse(r.body)["recordings"].size();
    if (count != 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_EQ(count, 2u);
  EXPECT_NE(second.Log().find("catalogue loaded from snapshot"), std::string::npos) << second.Log();
}

}  // namespace
}  // namespace mr::test
