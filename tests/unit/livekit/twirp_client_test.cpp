#include "livekit/twirp_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <mutex>
#include <vector>

#include "common/beast_http_client.hpp"
#include "common/http/server.hpp"
#include "common/jwt.hpp"
#include "unit/common_http/test_support.hpp"
#include "unit/livekit/livekit_test_support.hpp"

namespace mr::livekit {
namespace {

using recording::EgressStatus;
using tcp = asio::ip::tcp;

constexpr const char* kKey = "APIkey123";
constexpr const char* kSecret = "secretsecretsecretsecretsecret12";
constexpr int64_t kNow = 1795470891;

// A fake LiveKit Twirp endpoint on 127.0.0.1: records each request and answers with `reply`.
class FakeTwirpServer {
 public:
  explicit FakeTwirpServer(asio::io_context& ioc)
      : server_(ioc, http::ServerOptions{}, [this](http::Request& req) { return Handle(req); }) {
    Status st = server_.Start();
    if (!st.ok()) {
      throw std::runtime_error(st.ToString());
    }
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  void Reply(int status, std::string content_type, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    content_type_ = std::move(content_type);
    body_ = std::move(body);
  }

  std::vector<http::Request> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  Task<http::Response> Handle(http::Request& req) {
    http::Response res;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      res.status = status_;
      res.body = body_;
      if (!content_type_.empty()) {
        res.SetHeader("Content-Type", content_type_);
      }
    }
    co_return res;
  }

  std::mutex mu_;
  int status_ = 200;                               // guarded by mu_
  std::string content_type_ = "application/json";  // guarded by mu_
  std::string body_ = "{}";                        // guarded by mu_
  std::vector<http::Request> requests_;            // guarded by mu_
  http::Server server_;
};

class TwirpClientTest : public ::testing::Test {
 protected:
  TwirpClientTest() : io_(2), clock_(kNow), http_(io_.ioc().get_executor()), server_(io_.ioc()) {}

  LiveKitOptions Options(std::string base) {
    LiveKitOptions o;
    o.private_url = std::move(base);
    o.api_key = kKey;
    o.api_secret = kSecret;
    return o;
  }

  TwirpLiveKitClient Client() {
    return TwirpLiveKitClient(http_, Options(server_.base_url()), clock_);
  }

  // Checks the one recorded request: POST to `path`, JSON content type, a bearer token for
  // `video`, and the body.
  void ExpectRequest(const std::string& path, const std::string& video, const std::string& body) {
    auto reqs = server_.requests();
    ASSERT_EQ(reqs.size(), 1u);
    const auto& r = reqs[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, path);
    EXPECT_EQ(r.Header("content-type").value_or(""), "application/json");
    std::string auth(r.Header("authorization").value_or(""));
    ASSERT_EQ(auth.rfind("Bearer ", 0), 0u) << auth;
    auto claims = jwt::VerifyHs256(auth.substr(7), kSecret, {.now_s = kNow, .issuer = kKey});
    ASSERT_TRUE(claims.ok()) << claims.status().ToString();
    EXPECT_EQ((*claims)["video"].dump(), video);
    EXPECT_EQ((*claims)["exp"], kNow + 600);
    EXPECT_EQ(r.body, body);
  }

  test::IoThreads io_;
  testing::SetClock clock_;
  BeastHttpClient http_;
  FakeTwirpServer server_;
};

TEST_F(TwirpClientTest, CreateRoom) {
  server_.Reply(200, "application/json", testing::kRoomReply);
  auto client = Client();
  auto room = io_.Await(client.CreateRoom("room1", {.empty_timeout_s = 300, .metadata = "m"}));
  ASSERT_TRUE(room.ok()) << room.status().ToString();
  EXPECT_EQ(room->sid, "RM_tV4bZ6kPq9Ld");
  EXPECT_EQ(room->num_participants, 2u);
  ExpectRequest("/twirp/livekit.RoomService/CreateRoom", R"({"roomCreate":true})",
                R"({"name":"room1","emptyTimeout":300,"metadata":"m"})");
}

TEST_F(TwirpClientTest, ListRooms) {
  server_.Reply(200, "application/json", std::string(R"({"rooms":[)") + testing::kRoomReply + "]}");
  auto client = Client();
  std::vector<std::string> names{"room1", "room2"};
  auto rooms = io_.Await(client.ListRooms(names));
  ASSERT_TRUE(rooms.ok()) << rooms.status().ToString();
  ASSERT_EQ(rooms->size(), 1u);
  EXPECT_EQ((*rooms)[0].name, "room1");
  ExpectRequest("/twirp/livekit.RoomService/ListRooms", R"({"roomList":true})",
                R"({"names":["room1","room2"]})");
}

TEST_F(TwirpClientTest, DeleteRoom) {
  auto client = Client();
  Status st = io_.Await(client.DeleteRoom("room1"));
  EXPECT_TRUE(st.ok()) << st.ToString();
  ExpectRequest("/twirp/livekit.RoomService/DeleteRoom", R"({"roomCreate":true})",
                R"({"room":"room1"})");
}

TEST_F(TwirpClientTest, ListParticipants) {
  server_.Reply(200, "application/json", testing::kListParticipantsReply);
  auto client = Client();
  auto ps = io_.Await(client.ListParticipants("room1"));
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ((*ps)[0].identity, "alice");
  ExpectRequest("/twirp/livekit.RoomService/ListParticipants",
                R"({"roomAdmin":true,"room":"room1"})", R"({"room":"room1"})");
}

TEST_F(TwirpClientTest, GetParticipant) {
  server_.Reply(200, "application/json", testing::kRecorderParticipant);
  auto client = Client();
  auto p = io_.Await(client.GetParticipant("room1", "EG_8HbCmQJ2Rz7x"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->hidden);
  ExpectRequest("/twirp/livekit.RoomService/GetParticipant", R"({"roomAdmin":true,"room":"room1"})",
                R"({"room":"room1","identity":"EG_8HbCmQJ2Rz7x"})");
}

TEST_F(TwirpClientTest, RemoveParticipant) {
  auto client = Client();
  EXPECT_TRUE(io_.Await(client.RemoveParticipant("room1", "alice")).ok());
  ExpectRequest("/twirp/livekit.RoomService/RemoveParticipant",
                R"({"roomAdmin":true,"room":"room1"})", R"({"room":"room1","identity":"alice"})");
}

TEST_F(TwirpClientTest, SendData) {
  auto client = Client();
  recording::DataMessage msg;
  msg.payload = "hello";
  msg.topic = "chat";
  msg.destination_identities.push_back("bob");
  EXPECT_TRUE(io_.Await(client.SendData("room1", msg)).ok());
  ExpectRequest(
      "/twirp/livekit.RoomService/SendData", R"({"roomAdmin":true,"room":"room1"})",
      R"({"room":"room1","data":"aGVsbG8=","topic":"chat","destinationIdentities":["bob"]})");
}

TEST_F(TwirpClientTest, UpdateRoomMetadata) {
  server_.Reply(200, "application/json", testing::kRoomReply);
  auto client = Client();
  auto room = io_.Await(client.UpdateRoomMetadata("room1", R"({"k":1})"));
  ASSERT_TRUE(room.ok()) << room.status().ToString();
  EXPECT_EQ(room->metadata, "m");
  ExpectRequest("/twirp/livekit.RoomService/UpdateRoomMetadata",
                R"({"roomAdmin":true,"room":"room1"})",
                R"({"room":"room1","metadata":"{\"k\":1}"})");
}

TEST_F(TwirpClientTest, StartRoomCompositeEgress) {
  server_.Reply(200, "application/json", testing::kStartEgressReply);
  auto client = Client();
  recording::RoomCompositeRequest req;
  req.room_name = "room1";
  req.layout = "grid";
  req.file.filepath = "rec/{room_name}-{time}";
  auto e = io_.Await(client.StartRoomCompositeEgress(req));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->egress_id, "EG_8HbCmQJ2Rz7x");
  EXPECT_EQ(e->status, EgressStatus::kStarting);
  EXPECT_EQ(e->file_results.at(0).filename, "rec/room1-2026-01-01T000000.mp4");
  ExpectRequest("/twirp/livekit.Egress/StartRoomCompositeEgress", R"({"roomRecord":true})",
                R"({"roomName":"room1","layout":"grid","fileOutputs":[{"fileType":"MP4",)"
                R"("filepath":"rec/{room_name}-{time}"}]})");
}

TEST_F(TwirpClientTest, StopEgress) {
  Json ending = Json::parse(testing::kStartEgressReply);
  ending["status"] = "EGRESS_ENDING";
  ending["details"] = "End reason: StopEgress API";
  server_.Reply(200, "application/json", ending.dump());
  auto client = Client();
  auto e = io_.Await(client.StopEgress("EG_8HbCmQJ2Rz7x"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->status, EgressStatus::kEnding);
  EXPECT_EQ(e->details, "End reason: StopEgress API");
  ExpectRequest("/twirp/livekit.Egress/StopEgress", R"({"roomRecord":true})",
                R"({"egressId":"EG_8HbCmQJ2Rz7x"})");
}

TEST_F(TwirpClientTest, ListEgress) {
  server_.Reply(200, "application/json", testing::kListEgressReply);
  auto client = Client();
  recording::ListEgressFilter filter;
  filter.room_name = "room1";
  filter.active = true;
  auto items = io_.Await(client.ListEgress(filter));
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].status, EgressStatus::kActive);
  ExpectRequest("/twirp/livekit.Egress/ListEgress", R"({"roomRecord":true})",
                R"({"roomName":"room1","active":true})");
}

TEST_F(TwirpClientTest, ErrorReplies) {
  struct Case {
    int status;
    const char* content_type;
    const char* body;
    StatusCode code;
    const char* message;  // nullptr: only the code is checked.
  };
  const Case cases[] = {
      {404, "application/json",
       R"({"code":"not_found","msg":"twirp error unknown: egress does not exist"})",
       StatusCode::kNotFound, "egress does not exist"},
      {412, "application/json",
       R"({"code":"failed_precondition",)"
       R"("msg":"egress with status EGRESS_COMPLETE cannot be stopped"})",
       StatusCode::kPreconditionFailed, "egress with status EGRESS_COMPLETE cannot be stopped"},
      {401, "application/json", R"({"code":"unauthenticated","msg":"permissions denied"})",
       StatusCode::kUnauthorized, "permissions denied"},
      {401, "text/plain; charset=utf-8",
       "invalid authorization token: token has invalid claims: token is expired",
       StatusCode::kUnauthorized,
       "invalid authorization token: token has invalid claims: token is expired"},
      {404, "application/json",
       R"({"code":"bad_route","msg":"no handler for path \"/twirp/livekit.RoomService/Nope\"",)"
       R"("meta":{"twirp_invalid_route":"POST /twirp/livekit.RoomService/Nope"}})",
       StatusCode::kInternal, "no handler for path \"/twirp/livekit.RoomService/Nope\""},
      {400, "application/json",
       R"({"code":"malformed","msg":"the json request could not be decoded"})",
       StatusCode::kInternal, "the json request could not be decoded"},
      {400, "application/json",
       R"({"code":"invalid_argument","msg":"metadata size exceeds limits 524288",)"
       R"("meta":{"argument":"metadata size exceeds limits"}})",
       StatusCode::kInvalidArgument, "metadata size exceeds limits 524288"},
      {503, "application/json",
       R"({"code":"unavailable","msg":"twirp error unknown: no response from servers"})",
       StatusCode::kUnavailable, "no response from servers"},
      {408, "application/json", R"({"code":"deadline_exceeded","msg":"request timed out"})",
       StatusCode::kTimeout, "request timed out"},
      {503, "text/html", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
       StatusCode::kUnavailable, "LiveKit answered HTTP 503 (text/html)"},
      {502, "", "", StatusCode::kUnavailable, "LiveKit answered HTTP 502"},
      {404, "text/plain; charset=utf-8", "404 page not found", StatusCode::kNotFound,
       "404 page not found"},
      {413, "text/plain; charset=utf-8", "request body too large", StatusCode::kInternal,
       "request body too large"},
      // A 200 that is not the expected JSON.
      {200, "application/json", R"({"status":{}})", StatusCode::kInternal, nullptr},
      {200, "text/html", "<html></html>", StatusCode::kInternal, nullptr},
  };
  auto client = Client();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    server_.Reply(c.status, c.content_type, c.body);
    auto e = io_.Await(client.StopEgress("EG_1"));
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), c.code) << e.status().ToString();
    if (c.message != nullptr) {
      EXPECT_EQ(e.status().message(), c.message);
    }
  }
  // Void methods map errors the same way.
  server_.Reply(
      404, "application/json",
      R"({"code":"not_found","msg":"twirp error unknown: requested room does not exist"})");
  Status st = io_.Await(client.DeleteRoom("nope"));
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "requested room does not exist");
}

TEST_F(TwirpClientTest, ServerThatNeverAnswersIsTimeout) {
  // Listening but never accepting: the kernel completes the handshake, nobody ever answers.
  tcp::acceptor silent(io_.ioc(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  LiveKitOptions o = Options("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
  o.request_timeout = std::chrono::milliseconds(200);
  TwirpLiveKitClient client(http_, o, clock_);
  auto rooms = io_.Await(client.ListRooms({}));
  ASSERT_FALSE(rooms.ok());
  EXPECT_EQ(rooms.status().code(), StatusCode::kTimeout) << rooms.status().ToString();
}

TEST_F(TwirpClientTest, ConnectionRefusedIsUnavailable) {
  uint16_t port;
  {
    tcp::acceptor probe(io_.ioc(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  TwirpLiveKitClient client(http_, Options("http://127.0.0.1:" + std::to_string(port)), clock_);
  Status st = io_.Await(client.DeleteRoom("room1"));
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  // The message never carries the token or the secret.
  EXPECT_EQ(st.message().find(kSecret), std::string::npos);
  EXPECT_EQ(st.message().find("Bearer"), std::string::npos);
}

}  // namespace
}  // namespace mr::livekit
