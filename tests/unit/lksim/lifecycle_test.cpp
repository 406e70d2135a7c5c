// Rooms, simulated participants and the egress lifecycle with the NullEncoder (spec §3.3, §5),
// plus fault injection.

#include <atomic>
#include <optional>

#include "lksim_test_support.hpp"

namespace mr::lksim::test {
namespace {

class LifecycleTest : public SimFixture {
 protected:
  bool RoomExists(const std::string& room) {
    Json r =
        CallJson("RoomService", "ListRooms", Json{{"names", {room}}}, Json{{"roomList", true}});
    return r.contains("rooms") && !r["rooms"].empty();
  }
  std::vector<std::string> EgressEvents(const std::string& id) {
    std::vector<std::string> out;
    for (auto& d : receiver_->All()) {
      if (d.json.contains("egressInfo") && d.json["egressInfo"]["egressId"] == id) {
        out.push_back(d.json["event"].get<std::string>() + ":" +
                      d.json["egressInfo"].value("status", "EGRESS_STARTING"));
      }
    }
    return out;
  }
};

TEST_F(LifecycleTest, JoinLeaveAndDepartureTimeoutClosesRoom) {
  auto j = Join("room1", "alice", "Alice");
  ASSERT_EQ(j.status, 201);
  Json jr = Json::parse(j.body);
  EXPECT_EQ(jr["room"]["sid"].get<std::string>().substr(0, 3), "RM_");
  EXPECT_EQ(jr["participant"]["sid"].get<std::string>().substr(0, 3), "PA_");
  EXPECT_EQ(Join("room1", "alice").status, 409);
  EXPECT_EQ(Leave("room1", "bob").status, 404);
  EXPECT_EQ(Leave("room1", "alice").status, 204);
  // departure_timeout 20 "s" of 20 ms.
  EXPECT_TRUE(WaitFor([&] { return !RoomExists("room1"); }));
  EXPECT_TRUE(WaitFor([&] { return !receiver_->Events("room_finished").empty(); }));
  std::vector<std::string> order;
  for (auto& d : receiver_->All()) {
    order.push_back(d.json["event"]);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"room_started", "participant_joined",
                                             "participant_left", "room_finished"}));
}

TEST_F(LifecycleTest, EmptyTimeoutClosesCreatedRoom) {
  CallJson("RoomService", "CreateRoom", Json{{"name", "lonely"}, {"emptyTimeout", 2}},
           Json{{"roomCreate", true}});
  EXPECT_TRUE(RoomExists("lonely"));
  EXPECT_TRUE(WaitFor([&] { return !RoomExists("lonely"); }));
}

TEST_F(LifecycleTest, StartActiveStopComplete) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  Json e = StartEgress("room1");
  const std::string id = e["egress_id"];
  EXPECT_EQ(e["status"], "EGRESS_STARTING");
  EXPECT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_ACTIVE"; }));
  // The recorder is listed while recording, hidden and not counted.
  Json ps = CallJson("RoomService", "ListParticipants", Json{{"room", "room1"}},
                     Json{{"roomAdmin", true}, {"room", "room1"}});
  ASSERT_EQ(ps["participants"].size(), 2u);
  EXPECT_EQ(ps["participants"][1]["identity"], id);
  EXPECT_EQ(ps["participants"][1]["kind"], "EGRESS");
  EXPECT_EQ(ps["participants"][1]["permission"]["hidden"], true);
  Json room = CallJson("RoomService", "ListRooms", Json::object(), Json{{"roomList", true}});
  EXPECT_EQ(room["rooms"][0]["num_participants"], 1);
  EXPECT_EQ(room["rooms"][0]["active_recording"], true);

  Json stop = CallJson("Egress", "StopEgress", Json{{"egress_id", id}}, Json{{"roomRecord", true}});
  EXPECT_EQ(stop["status"], "EGRESS_ENDING");
  EXPECT_EQ(stop["details"], "End reason: StopEgress API");
  EXPECT_NE(stop["file_results"][0]["duration"], "0");
  EXPECT_NE(stop["file_results"][0]["ended_at"], "0");
  EXPECT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_COMPLETE"; }));
  Json done = Egress(id);
  const Json& f = done["file_results"][0];
  EXPECT_NE(f["size"], "0");
  EXPECT_EQ(f["location"], (dir_ / "rec/room1.mp4").string());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "rec/room1.mp4"));
  EXPECT_NE(done["ended_at"], "0");
  EXPECT_EQ(done["error"], "");

  auto again = Call("Egress", "StopEgress", Json{{"egressId", id}}, Json{{"roomRecord", true}});
  EXPECT_EQ(again.status, 412);
  EXPECT_EQ(
      again.body,
      R"({"code":"failed_precondition","msg":"egress with status EGRESS_COMPLETE cannot be stopped"})");

  EXPECT_TRUE(WaitFor([&] { return EgressEvents(id).size() == 4; }));
  EXPECT_EQ(EgressEvents(id), (std::vector<std::string>{
                                  "egress_started:EGRESS_STARTING", "egress_updated:EGRESS_ACTIVE",
                                  "egress_updated:EGRESS_ENDING", "egress_ended:EGRESS_COMPLETE"}));
  auto started = receiver_->Events("egress_started", id);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_FALSE(started[0].json["egressInfo"].contains("status"));
  EXPECT_EQ(started[0].json["room"].size(), 2u);  // Minimal {sid, name}.
  Json active = CallJson("Egress", "ListEgress", Json{{"roomName", "room1"}, {"active", true}},
                         Json{{"roomRecord", true}});
  EXPECT_TRUE(active["items"].empty());
}

TEST_F(LifecycleTest, EmptyRoomStaysStartingAndStopAborts) {
  CallJson("RoomService", "CreateRoom", Json{{"name", "room1"}}, Json{{"roomCreate", true}});
  Json e = StartEgress("room1");
  const std::string id = e["egress_id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(EgressStatus(id), "EGRESS_STARTING");
  Json stop = CallJson("Egress", "StopEgress", Json{{"egressId", id}}, Json{{"roomRecord", true}});
  EXPECT_EQ(stop["status"], "EGRESS_ABORTED");
  EXPECT_EQ(stop["error"], "Stop called before pipeline could start");
  EXPECT_EQ(stop["error_code"], 412);
  EXPECT_NE(stop["ended_at"], "0");
  EXPECT_TRUE(WaitFor([&] { return !receiver_->Events("egress_ended", id).empty(); }));
}

TEST_F(LifecycleTest, RoomCloseCompletesEgress) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  const std::string id = StartEgress("room1")["egress_id"];
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_ACTIVE"; }));
  EXPECT_EQ(Leave("room1", "alice").status, 204);
  EXPECT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_COMPLETE"; }));
  EXPECT_EQ(Egress(id)["details"], "End reason: Source closed");
  EXPECT_TRUE(WaitFor([&] { return !RoomExists("room1"); }));
}

TEST_F(LifecycleTest, FaultsDelayNeverActiveFailAndStopUpdates) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  ASSERT_EQ(SetFaults(Json{{"egress_never_active", true}}).status, 200);
  const std::string never = StartEgress("room1", "a")["egress_id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(EgressStatus(never), "EGRESS_STARTING");

  auto cleared = TestHttpRequest(sim_->port(), "DELETE", "/sim/faults");
  ASSERT_EQ(cleared.status, 200);
  EXPECT_EQ(Json::parse(cleared.body)["egress_never_active"], false);

  ASSERT_EQ(SetFaults(Json{{"egress_delay_active_ms", 50}}).status, 200);
  const std::string delayed = StartEgress("room1", "b")["egress_id"];
  EXPECT_TRUE(WaitFor([&] { return EgressStatus(delayed) == "EGRESS_ACTIVE"; }));

  ASSERT_EQ(SetFaults(Json{{"egress_delay_active_ms", 0}, {"egress_fail_after_ms", 80}}).status,
            200);
  const std::string failing = StartEgress("room1", "c")["egress_id"];
  EXPECT_TRUE(WaitFor([&] { return EgressStatus(failing) == "EGRESS_FAILED"; }));
  EXPECT_EQ(Egress(failing)["error_code"], 500);

  ASSERT_EQ(TestHttpRequest(sim_->port(), "DELETE", "/sim/faults").status, 200);
  const std::string frozen = StartEgress("room1", "d")["egress_id"];
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(frozen) == "EGRESS_ACTIVE"; }));
  ASSERT_EQ(SetFaults(Json{{"egress_stop_updates", true}}).status, 200);
  Json stop =
      CallJson("Egress", "StopEgress", Json{{"egressId", frozen}}, Json{{"roomRecord", true}});
  EXPECT_EQ(stop["status"], "EGRESS_ENDING");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(EgressStatus(frozen), "EGRESS_ACTIVE");

  EXPECT_EQ(SetFaults(Json{{"bogus", 1}}).status, 400);
}

TEST_F(LifecycleTest, RejectNextIsOneShot) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  ASSERT_EQ(SetFaults(Json{{"reject_next",
                            {{"method", "StartRoomCompositeEgress"},
                             {"code", "unavailable"},
                             {"msg", "twirp error unknown: no response from servers"}}}})
                .status,
            200);
  auto r = Call("Egress", "StartRoomCompositeEgress",
                Json{{"roomName", "room1"}, {"fileOutputs", {{{"filepath", "x"}}}}},
                Json{{"roomRecord", true}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body,
            R"({"code":"unavailable","msg":"twirp error unknown: no response from servers"})");
  StartEgress("room1");
}

TEST_F(LifecycleTest, StartReplyDelayHoldsTheReplyWhileTheEgressProceeds) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  auto set = SetFaults(Json{{"start_reply_delay_ms", 1000}});
  ASSERT_EQ(set.status, 200);
  EXPECT_EQ(Json::parse(set.body)["start_reply_delay_ms"], 1000);
  EXPECT_EQ(Json::parse(TestHttpRequest(sim_->port(), "GET", "/sim/faults").body)
                ["start_reply_delay_ms"],
            1000);
  EXPECT_EQ(SetFaults(Json{{"start_reply_delay_ms", "400"}}).status, 400);

  // The ACTIVE webhook reaches the receiver while the reply is held back.
  std::atomic<bool> stop{false};
  std::optional<std::chrono::steady_clock::time_point> active_at;
  std::thread watcher([&] {
    while (!stop.load()) {
      for (const auto& d : receiver_->Events("egress_updated")) {
        if (d.json["egressInfo"].value("status", "") == "EGRESS_ACTIVE") {
          active_at = std::chrono::steady_clock::now();
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  Json reply = StartEgress("room1");
  const auto replied_at = std::chrono::steady_clock::now();
  stop = true;
  watcher.join();
  EXPECT_GE(replied_at - t0, std::chrono::milliseconds(1000));
  EXPECT_EQ(reply["status"], "EGRESS_STARTING");  // The state when the call was made.
  ASSERT_TRUE(active_at.has_value()) << "no ACTIVE webhook before the reply";
  EXPECT_LT(*active_at, replied_at);
  const std::string id = reply["egress_id"];
  EXPECT_EQ(EgressStatus(id), "EGRESS_ACTIVE");
  EXPECT_EQ(receiver_->Events("egress_started", id).size(), 1u);

  // Other methods are not delayed; clearing the faults ends the delay.
  const auto t1 = std::chrono::steady_clock::now();
  EgressStatus(id);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::milliseconds(800));
  ASSERT_EQ(TestHttpRequest(sim_->port(), "DELETE", "/sim/faults").status, 200);
  const auto t2 = std::chrono::steady_clock::now();
  StartEgress("room1", "other");
  EXPECT_LT(std::chrono::steady_clock::now() - t2, std::chrono::milliseconds(800));
}

class LimitTest : public SimFixture {
 protected:
  void SetUp() override {
    StartSim([](LkSimOptions& o) { o.max_egress_duration_s = 5; });  // 5 x 20 ms.
  }
};

TEST_F(LimitTest, MaxDurationIsLimitReached) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  const std::string id = StartEgress("room1")["egress_id"];
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_LIMIT_REACHED"; }));
  Json e = Egress(id);
  EXPECT_EQ(e["error"], "Session limit reached");
  EXPECT_EQ(e["error_code"], 413);
  EXPECT_NE(e["file_results"][0]["size"], "0");
  ASSERT_TRUE(WaitFor([&] { return !receiver_->Events("egress_ended", id).empty(); }));
  for (auto& d : receiver_->Events("egress_updated", id)) {
    EXPECT_EQ(d.json["egressInfo"]["status"], "EGRESS_ACTIVE");  // No ENDING on this path.
  }
}

}  // namespace
}  // namespace mr::lksim::test
