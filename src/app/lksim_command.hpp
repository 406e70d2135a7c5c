#pragma once
// `meet-recorder lksim ...`: the embedded LiveKit-compatible server on its own, and the CLI for
// its simulated participants (a thin client of lksim's control API).

#include <string>

#include "config/service_options.hpp"

namespace mr::app {

// Runs lksim until SIGTERM/SIGINT. Returns the exit code.
int RunLkSim(const config::ServiceOptions& options);

// POST /sim/rooms/{room}/participants and DELETE .../{identity} against `control_url`
// (default http://127.0.0.1:{MEET_EMBEDDED_LIVEKIT_PORT}). Prints the answer; exit code 0 on 2xx.
int RunSimJoin(const config::ServiceOptions& options, const std::string& control_url,
               const std::string& room, const std::string& identity, const std::string& name);
int RunSimLeave(const config::ServiceOptions& options, const std::string& control_url,
                const std::string& room, const std::string& identity);

}  // namespace mr::app
