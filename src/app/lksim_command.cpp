#include "app/lksim_command.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>

#include "app/backends.hpp"
#include "app/bucket_uploader.hpp"
#include "common/beast_http_client.hpp"
#include "common/random.hpp"
#include "common/timers.hpp"
#include "common/clock.hpp"
#include "common/http/server.hpp"
#include "common/logging.hpp"
#include "lksim/lksim.hpp"

namespace mr::app {
namespace {

std::string ControlUrl(const config::ServiceOptions& options, const std::string& given) {
  if (!given.empty()) {
    return given;
  }
  auto it = options.raw.find("MEET_EMBEDDED_LIVEKIT_PORT");
  return "http://127.0.0.1:" + (it == options.raw.end() ? std::string("7880") : it->second);
}

std::string Escape(const std::string& segment) {
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

int Call(const std::string& method, const std::string& url, const std::string& body) {
  asio::io_context ioc;
  BeastHttpClient client(ioc.get_executor());
  HttpClientRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  if (!body.empty()) {
    req.headers.push_back({"Content-Type", "application/json"});
  }
  auto res = RunTask(ioc, client.Send(std::move(req)));
  if (!res.ok()) {
    std::fprintf(stderr, "lksim control API unreachable: %s\n", res.status().message().c_str());
    return 1;
  }
  std::printf("%d %s\n", res->status, res->body.c_str());
  return res->status >= 200 && res->status < 300 ? 0 : 1;
}

}  // namespace

int RunLkSim(const config::ServiceOptions& options) {
  auto sim_options = lksim::LkSimOptionsFromEnv(options.raw);
  if (!sim_options.ok()) {
    std::fprintf(stderr, "meet-recorder: %s\n", sim_options.status().message().c_str());
    return 2;
  }
  http::IgnoreSigpipe();
  asio::io_context ioc;
  SystemClock clock;
  // With MEET_BLOB_STORAGE_MODE=s3 the egress uploads finished recordings to the bucket, as a
  // LiveKit Egress configured with S3 storage does (the fleet's set-up, docs/operations.md).
  SystemRandom random;
  AsioTimers timers(ioc);
  BeastHttpClient http_client(ioc.get_executor());
  Backends storage;
  if (options.storage_mode == "s3") {
    if (Status s = MakeObjectStore(ioc, options, clock, timers, random, http_client, storage);
        !s.ok()) {
      log::Error("lksim cannot use the bucket", {{"error", s.ToString()}});
      return 1;
    }
    sim_options->uploader = std::make_shared<BucketUploader>(*storage.store);
    log::Info("lksim uploads recordings", {{"to", storage.storage_description}});
  }
  lksim::LkSim sim(ioc, clock, *sim_options);
  if (Status s = sim.Start(); !s.ok()) {
    log::Error("lksim cannot start", {{"error", s.message()}});
    return 1;
  }
  log::Info("lksim listening", {{"port", sim.port()}, {"storage", sim_options->storage_dir.string()}});
  asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    asio::co_spawn(
        ioc,
        [&]() -> Task<void> {
          co_await sim.Stop();
          ioc.stop();
        },
        asio::detached);
  });
  ioc.run();
  return 0;
}

int RunSimJoin(const config::ServiceOptions& options, const std::string& control_url,
               const std::string& room, const std::string& identity, const std::string& name) {
  Json body = {{"identity", identity}};
  if (!name.empty()) {
    body["name"] = name;
  }
  return Call("POST", ControlUrl(options, control_url) + "/sim/rooms/" + Escape(room) + "/participants",
              body.dump());
}

int RunSimLeave(const config::ServiceOptions& options, const std::string& control_url,
                const std::string& room, const std::string& identity) {
  return Call("DELETE", ControlUrl(options, control_url) + "/sim/rooms/" + Escape(room) +
                            "/participants/" + Escape(identity),
              "");
}

}  // namespace mr::app
