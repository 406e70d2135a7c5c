// meet-recorder: the command line. `serve` runs the service, `reindex` rebuilds the catalogue
// index of a storage folder. Configuration errors stop start-up with one clear line.

#include <CLI/CLI.hpp>

#include <cstdio>

#include "app/lksim_command.hpp"
#include "app/service.hpp"
#include "common/logging.hpp"
#include "config/service_options.hpp"

#ifndef MR_VERSION
#define MR_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  CLI::App cli{"meet-recorder: recording service for LiveKit meetings"};
  cli.set_version_flag("--version", std::string("meet-recorder ") + MR_VERSION);
  cli.require_subcommand(1);
  std::string config_file;
  cli.add_option("--config", config_file, "YAML config file (keys are the environment variable names)");

  auto* serve = cli.add_subcommand("serve", "Run the HTTP service");
  auto* reindex = cli.add_subcommand("reindex", "Rebuild the catalogue index from storage and report");
  auto* lksim = cli.add_subcommand("lksim", "Run the embedded LiveKit-compatible server on its own");
  std::string encoder;
  for (auto* sub : {serve, lksim}) {
    sub->add_option("--encoder", encoder,
                    "Embedded egress encoder: ffmpeg, or none (a fixed small MP4, for load tests only); "
                    "same as MEET_LKSIM_ENCODER")
        ->check(CLI::IsMember({"ffmpeg", "none"}));
  }
  std::string control_url, room, identity, name;
  auto* join = lksim->add_subcommand("join", "Join a simulated participant to a room");
  join->add_option("room", room, "Room name")->required();
  join->add_option("identity", identity, "Participant identity")->required();
  join->add_option("--name", name, "Participant display name");
  join->add_option("--url", control_url, "lksim URL (default http://127.0.0.1:$MEET_EMBEDDED_LIVEKIT_PORT)");
  auto* leave = lksim->add_subcommand("leave", "Remove a simulated participant from a room");
  leave->add_option("room", room, "Room name")->required();
  leave->add_option("identity", identity, "Participant identity")->required();
  leave->add_option("--url", control_url, "lksim URL (default http://127.0.0.1:$MEET_EMBEDDED_LIVEKIT_PORT)");
  CLI11_PARSE(cli, argc, argv);

  auto options = mr::config::LoadServiceOptions(
      mr::config::ProcessEnvironment(),
      config_file.empty() ? std::nullopt : std::optional<std::string>(config_file));
  if (!options.ok()) {
    std::fprintf(stderr, "meet-recorder: %s\n", options.status().message().c_str());
    return 2;
  }
  mr::log::SetLevel(options->log_level);
  if (!encoder.empty()) {
    options->raw["MEET_LKSIM_ENCODER"] = encoder;
  }
  if (serve->parsed()) {
    return mr::app::RunServe(*options);
  }
  if (reindex->parsed()) {
    return mr::app::RunReindex(*options);
  }
  if (join->parsed()) {
    return mr::app::RunSimJoin(*options, control_url, room, identity, name);
  }
  if (leave->parsed()) {
    return mr::app::RunSimLeave(*options, control_url, room, identity);
  }
  if (lksim->parsed()) {
    return mr::app::RunLkSim(*options);
  }
  return 2;
}
