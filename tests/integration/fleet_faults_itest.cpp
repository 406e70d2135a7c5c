// Fleet mode under faults: S3 failing or hanging for a while (a fault-injecting proxy between the
// instances and the S3 server), and an instance stopped with SIGTERM while it serves requests.
// Each test asserts that nothing is lost and nothing duplicated. Every wait is a bounded poll (or
// a request with a deadline); all traffic stays on 127.0.0.1.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fleet_support.hpp"
#include "peers/fault_proxy.hpp"

namespace mr::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The instances give up on S3 quickly, so an outage shows within seconds: per attempt 300 ms,
// 6 retries after the first with full-jitter backoff from 100 ms (at most 6.3 s of waits in all;
// under 2 s with probability below 1 %).
const std::map<std::string, std::string> kQuickS3 = {
    {"MEET_S3_REQUEST_TIMEOUT_MS", "300"},
    {"MEET_S3_MAX_RETRIES", "6"},
    {"MEET_S3_RETRY_BASE_DELAY_MS", "100"},
};
constexpr int kS3Attempts = 7;  // 1 + MEET_S3_MAX_RETRIES.

// One API call with its own deadline (TestHttpRequest's 10 s is too short for a read that waits
// out every retry of a hanging S3), telling a refused connection from a broken reply.
struct Call {
  int status = 0;        // 0: no complete reply.
  std::string body;
  bool refused = false;  // The connection was refused (nobody listening).
  std::string error;     // Any other failure (reset, timeout, truncated reply).
  Clock::duration took{};

  Json JsonBody() const { return Json::parse(body, nullptr, false); }
};

Call CallApi(uint16_t port, const std::string& method, const std::string& target,
             const std::string& body = "", std::chrono::seconds deadline = 30s) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = boost::asio::ip::tcp;
  Call out;
  const auto t0 = Clock::now();
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(deadline);
  beast::error_code ec;
  stream.connect(tcp::endpoint(boost::asio::ip::address_v4::loopback(), port), ec);
  if (ec) {
    out.refused = ec == boost::asio::error::connection_refused;
    out.error = "connect: " + ec.message();
    out.took = Clock::now() - t0;
    return out;
  }
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set("x-api-key", kFleetApiKey);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
  }
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  if (!ec) {
    http::read(stream, buffer, parser, ec);
  }
  out.took = Clock::now() - t0;
  if (ec) {
    out.error = "exchange: " + ec.message();
    return out;
  }
  out.status = parser.get().result_int();
  out.body = parser.get().body();
  return out;
}

// A complete 503 naming S3 as the cause, as the API answers a storage outage.
void ExpectS3Error(const Call& c, const std::string& what) {
  EXPECT_EQ(c.status, 503) << what << ": " << c.body << c.error;
  Json j = c.JsonBody();
  ASSERT_TRUE(j.is_object()) << what << ": " << c.body;
  EXPECT_EQ(j.value("error", ""), "S3 Error") << what << ": " << c.body;
}

// The part of the S3 key of a recording's record that names it: ".metadata/{room}/{egress}/"
// for the recording id "{room}--{egress}--{uid}".
std::string RecordKeyPart(const std::string& recording_id) {
  const size_t a = recording_id.find("--");
  const size_t b = recording_id.find("--", a + 2);
  return "/.metadata/" + recording_id.substr(0, a) + "/" + recording_id.substr(a + 2, b - a - 2) + "/";
}

class FleetFaultTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (fleet_ && (HasFailure() || std::getenv("MR_ITEST_SHOW_LOG") != nullptr)) {
      std::fprintf(stderr, "%s%s\n", stopped_log_.c_str(), fleet_->Logs().c_str());
      if (proxy_) {
        std::fprintf(stderr, "---- proxy journal (last 200) ----\n");
        auto journal = proxy_->Journal();
        for (size_t k = journal.size() > 200 ? journal.size() - 200 : 0; k < journal.size(); ++k) {
          std::fprintf(stderr, "%s %s -> %s\n", journal[k].method.c_str(),
                       journal[k].target.c_str(), journal[k].outcome.c_str());
        }
      }
    }
    // Instances first: they talk to S3 through the proxy until they have stopped.
    fleet_.reset();
    proxy_.reset();
  }

  // `n` instances whose S3 is the proxy's endpoint (lksim uploads to the S3 server directly).
  void StartFleetBehindProxy(int n, std::map<std::string, std::string> extra) {
    fleet_ = std::make_unique<Fleet>(n, std::move(extra), /*start_instances=*/false);
    proxy_ = std::make_unique<FaultProxy>(fleet_->s3().port());
    fleet_->SetInstanceS3Endpoint(proxy_->endpoint());
    for (int i = 0; i < n; ++i) {
      fleet_->StartInstance(i);
    }
  }
  Fleet& F() { return *fleet_; }
  FaultProxy& P() { return *proxy_; }

  // How many rooms named `name` instance i lists (-1 when the list is not 200).
  int RoomsNamed(size_t i, const std::string& name) {
    auto r = F().Api(i, "GET", "/api/v1/rooms?maxItems=100");
    if (r.status != 200) {
      return -1;
    }
    const Json page = Json::parse(r.body);
    int n = 0;
    for (const auto& room : page["rooms"]) {
      n += room.value("roomName", "") == name ? 1 : 0;
    }
    return n;
  }
  // Requests of `method` whose target contains `part` with the given outcome prefix, among the
  // proxy's journal entries from index `from` on.
  size_t Count(const std::string& method, const std::string& part, const std::string& outcome,
               size_t from = 0) {
    const auto journal = P().Journal();
    size_t n = 0;
    for (size_t k = from; k < journal.size(); ++k) {
      const auto& e = journal[k];
      n += e.method == method && e.target.find(part) != std::string::npos &&
                   e.outcome.rfind(outcome, 0) == 0
               ? 1
               : 0;
    }
    return n;
  }
  // The room's recordings on every running instance: exactly `n`, each with the given ids.
  void ExpectRoomRecordings(const std::string& room, size_t n) {
    for (size_t i = 0; i < F().size(); ++i) {
      if (F().running(i)) {
        Json list = F().RoomRecordings(i, room);
        ASSERT_TRUE(list.is_array()) << "instance " << i;
        EXPECT_EQ(list.size(), n) << "instance " << i << ": " << list.dump();
      }
    }
  }

  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<Fleet> fleet_;
  std::string stopped_log_;  // The log of an instance stopped (and replaced) by the test.
};

// S3 answering 503: reads answer 503 "S3 Error" (never 404, never an empty list), a room created
// meanwhile is refused with 503 and does not appear later; webhook-driven writes failing with 503
// are retried and land once S3 is back, so the recording completes with its media.
TEST_F(FleetFaultTest, S3Answering5xxFailsReadsWith503AndRetriedWritesLand) {
  StartFleetBehindProxy(2, kQuickS3);
  const std::string room = F().ReadyRoom("Outage");
  const std::string id = F().StartRecording(0, room);
  ASSERT_FALSE(id.empty());
  F().ExpectStatusEverywhere(id, "active");

  // ---- S3 down for reads and writes: every API call touching storage answers 503.
  P().Fail(503);
  const uint64_t failed_before = P().requests_failed();
  std::vector<Call> calls(4);
  {
    std::vector<std::thread> threads;
    threads.emplace_back([&] { calls[0] = CallApi(F().port(0), "GET", "/api/v1/recordings/" + id); });
    threads.emplace_back([&] { calls[1] = CallApi(F().port(1), "GET", "/api/v1/recordings/" + id); });
    threads.emplace_back([&] {
      calls[2] = CallApi(F().port(1), "GET", "/api/v1/recordings?roomId=" + room + "&maxItems=100");
    });
    threads.emplace_back([&] {
      calls[3] = CallApi(F().port(0), "POST", "/api/v1/rooms", Json{{"roomName", "Lost"}}.dump());
    });
    for (auto& t : threads) {
      t.join();
    }
  }
  ExpectS3Error(calls[0], "get on instance 0");
  ExpectS3Error(calls[1], "get on instance 1");
  ExpectS3Error(calls[2], "list on instance 1");
  ExpectS3Error(calls[3], "room creation");
  // Each call gave up only after every attempt of one request failed.
  EXPECT_GE(P().requests_failed() - failed_before, uint64_t{4 * kS3Attempts});
  P().PassThrough();
  // The refused room was not created behind the client's back.
  EXPECT_EQ(RoomsNamed(0, "Lost"), 0);
  EXPECT_EQ(RoomsNamed(1, "Lost"), 0);
  EXPECT_EQ(F().RecordStatus(1, id), "active");

  // ---- S3 refusing writes while the recording stops: the webhooks' record writes are retried.
  const std::string egress = RecordKeyPart(id);
  const size_t puts_ok_before = Count("PUT", egress, "forwarded 2");
  P().FailMethods({"PUT", "POST", "DELETE"}, 503);
  auto stop = CallApi(F().port(1), "POST", "/api/v1/recordings/" + id + "/stop");
  ASSERT_EQ(stop.status, 202) << stop.body << stop.error;
  // Pass again once a record write has failed three times (two retries seen): well within the
  // retry budget of the write.
  const bool retried = PollUntil([&] { return Count("PUT", egress, "failed") >= 3; }, 10s);
  P().PassThrough();
  ASSERT_TRUE(retried) << "no record write of the recording was attempted while S3 refused writes";
  F().ExpectStatusEverywhere(id, "complete");
  // The failed writes landed afterwards, by retry (no webhook is re-sent: they were answered 200).
  EXPECT_GT(Count("PUT", egress, "forwarded 2"), puts_ok_before);
  F().ExpectMediaServed(0, id);
  F().ExpectMediaServed(1, id);
  Json record = F().Record(1, id);
  EXPECT_EQ(record.value("roomId", ""), room);
  EXPECT_EQ(record.value("roomName", ""), "Outage");

  // Nothing lost, nothing duplicated: one recording of the room, one room of each name, and the
  // room lock was freed by the ended egress.
  ExpectRoomRecordings(room, 1);
  EXPECT_EQ(RoomsNamed(0, "Outage"), 1);
  EXPECT_EQ(RoomsNamed(1, "Lost"), 0);
  EXPECT_FALSE(F().StartRecording(1, room).empty());
  ExpectRoomRecordings(room, 2);
}

// S3 hanging (requests read, never answered): reads answer 503 "S3 Error" once every attempt has
// timed out; a room creation and a stop issued during the hang complete once S3 answers again
// (shorter than the retry budget), and the recording ends complete. Nothing lost or duplicated.
TEST_F(FleetFaultTest, S3HangingFailsReadsWith503AndWritesLandAfterwards) {
  StartFleetBehindProxy(2, kQuickS3);
  const std::string room = F().ReadyRoom("Stall");
  const std::string id = F().StartRecording(0, room);
  ASSERT_FALSE(id.empty());
  F().ExpectStatusEverywhere(id, "active");

  // ---- Reads during a hang: 503 after the attempts have timed out, never 404 or an empty list.
  P().Hang();
  const uint64_t hung_before = P().requests_hung();
  Call get;
  Call list;
  {
    std::thread a([&] { get = CallApi(F().port(0), "GET", "/api/v1/recordings/" + id); });
    std::thread b([&] {
      list = CallApi(F().port(1), "GET", "/api/v1/recordings?roomId=" + room + "&maxItems=100");
    });
    a.join();
    b.join();
  }
  ExpectS3Error(get, "get during the hang");
  ExpectS3Error(list, "list during the hang");
  // Each waited out every attempt's timeout (300 ms each) before answering.
  EXPECT_GE(get.took, kS3Attempts * 300ms);
  EXPECT_GE(list.took, kS3Attempts * 300ms);
  EXPECT_GE(P().requests_hung() - hung_before, uint64_t{2 * kS3Attempts});

  // ---- Writes during a hang shorter than their retry budget: they land once S3 answers.
  Call create;
  Call stop;
  const size_t mark = P().Journal().size();
  std::thread creator(
      [&] { create = CallApi(F().port(0), "POST", "/api/v1/rooms", Json{{"roomName", "Late"}}.dump()); });
  // Two attempts of the room's write hung (the first timed out and was retried).
  const bool create_hung =
      PollUntil([&] { return Count("PUT", "/rooms/Late-", "hung", mark) >= 2; }, 10s);
  // The stop reads the room first: two attempts of that read hung too.
  std::thread stopper(
      [&] { stop = CallApi(F().port(1), "POST", "/api/v1/recordings/" + id + "/stop"); });
  const bool stop_hung = PollUntil(
      [&] { return Count("GET", "/rooms/" + room + "/", "hung", mark) >= 2; }, 10s);
  P().PassThrough();
  creator.join();
  stopper.join();
  ASSERT_TRUE(create_hung) << "the room creation never reached S3 during the hang";
  ASSERT_TRUE(stop_hung) << "the stop never read the room during the hang";
  EXPECT_EQ(create.status, 201) << create.body << create.error;
  EXPECT_EQ(stop.status, 202) << stop.body << stop.error;
  F().ExpectStatusEverywhere(id, "complete");
  F().ExpectMediaServed(1, id);

  // Nothing lost, nothing duplicated.
  EXPECT_EQ(RoomsNamed(0, "Late"), 1);
  EXPECT_EQ(RoomsNamed(1, "Late"), 1);
  EXPECT_EQ(RoomsNamed(1, "Stall"), 1);
  ExpectRoomRecordings(room, 1);
  EXPECT_FALSE(F().StartRecording(0, room).empty());
  ExpectRoomRecordings(room, 2);
}

// SIGTERM while instance 0 serves a burst of requests (held in flight by slow storage): every
// request sent before the signal gets its complete answer, the instance exits 0 within the drain
// time, and the recording it was asked to stop is not orphaned: instance 1 settles it complete,
// its media is in the bucket and the room can be recorded again.
TEST_F(FleetFaultTest, SigtermDuringRequestsFinishesThemAndOrphansNoRecording) {
  constexpr int kDrainSeconds = 10;
  StartFleetBehindProxy(2, {{"MEET_SHUTDOWN_DRAIN_SECONDS", std::to_string(kDrainSeconds)}});
  const std::string room = F().ReadyRoom("Drain");
  const std::string id = F().StartRecording(0, room);
  ASSERT_FALSE(id.empty());
  F().ExpectStatusEverywhere(id, "active");

  // Every S3 request takes 700 ms from now on: the burst is still in flight at the signal.
  P().Delay(700ms);
  const uint16_t port0 = F().port(0);
  struct Sent {
    std::string method;
    std::string target;
    int want;
    Call result;
  };
  std::vector<Sent> burst;
  for (int k = 0; k < 4; ++k) {
    burst.push_back({"GET", "/api/v1/recordings/" + id, 200, {}});
    burst.push_back({"GET", "/api/v1/recordings?roomId=" + room + "&maxItems=100", 200, {}});
  }
  burst.push_back({"GET", "/api/v1/recordings?maxItems=10", 200, {}});
  burst.push_back({"GET", "/api/v1/rooms/" + room, 200, {}});
  burst.push_back({"POST", "/api/v1/recordings/" + id + "/stop", 202, {}});
  const uint64_t seen_before = P().requests_seen();
  std::vector<std::thread> threads;
  for (auto& s : burst) {
    threads.emplace_back([&s, port0] { s.result = CallApi(port0, s.method, s.target); });
  }
  // Sent, and waiting for storage: each of them reads the bucket through the proxy first.
  const bool in_flight =
      PollUntil([&] { return P().requests_seen() >= seen_before + burst.size(); }, 5s);
  int exit_code = -1;
  Clock::duration stop_took{};
  std::thread terminator([&] {
    const auto t0 = Clock::now();
    exit_code = F().instance(0).Stop();  // SIGTERM, then waits for the exit (SIGKILL after 20 s).
    stop_took = Clock::now() - t0;
  });
  // Requests after the signal: refused once the listener is closed, never half answered.
  std::this_thread::sleep_for(500ms);
  Call late = CallApi(port0, "GET", "/api/v1/recordings/" + id);
  for (auto& t : threads) {
    t.join();
  }
  terminator.join();
  stopped_log_ = "---- instance 0 until SIGTERM ----\n" + F().instance(0).Log();
  P().PassThrough();
  ASSERT_TRUE(in_flight);

  for (const auto& s : burst) {
    const Call& c = s.result;
    EXPECT_EQ(c.status, s.want) << s.method << " " << s.target << ": " << c.body << c.error;
    Json j = c.JsonBody();
    EXPECT_TRUE(j.is_object()) << s.method << " " << s.target << ": " << c.body;
    if (s.want == 200 && s.target.find("roomId=") != std::string::npos && j.is_object()) {
      ASSERT_TRUE(j["recordings"].is_array());
      EXPECT_EQ(j["recordings"].size(), 1u) << c.body;
    } else if (s.method == "GET" && s.target == "/api/v1/recordings/" + id && j.is_object()) {
      EXPECT_EQ(j.value("recordingId", ""), id);
    }
  }
  EXPECT_TRUE(late.refused || (late.status == 200 && late.JsonBody().is_object()))
      << "a request after SIGTERM got a broken answer: status " << late.status << " " << late.error;
  EXPECT_EQ(exit_code, 0) << "instance 0 did not exit cleanly";
  EXPECT_LT(stop_took, std::chrono::seconds(kDrainSeconds + 2));

  // Not orphaned: instance 1 took the egress's webhooks and settled the record. (Instance 0's
  // handle stays, for its log, until it is started again.)
  EXPECT_TRUE(PollUntil([&] { return F().RecordStatus(1, id) == "complete"; }, 20s))
      << "instance 1 shows '" << F().RecordStatus(1, id) << "'";
  F().ExpectMediaServed(1, id);
  Json list = F().RoomRecordings(1, room);
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.size(), 1u) << list.dump();
  // The room lock was freed: the room can be recorded again, and a restarted instance 0 sees
  // the same single finished record.
  const std::string next = F().StartRecording(1, room);
  EXPECT_FALSE(next.empty());
  F().StartInstance(0);
  EXPECT_EQ(F().RecordStatus(0, id), "complete");
  ExpectRoomRecordings(room, 2);
}

}  // namespace
}  // namespace mr::test
