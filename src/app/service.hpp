#pragma once
// Service: wires the parts of `meet-recorder serve` together (STYLE rule 15: app/ only wires).
// Owns the io_context, storage, catalogue, rooms and the HTTP server; Run() blocks until a
// signal stops it: SIGTERM and SIGINT stop admission and drain in-flight requests.

#include <memory>

#include "config/service_options.hpp"

namespace mr::app {

// Runs the service until SIGTERM/SIGINT. Returns the process exit code.
int RunServe(const config::ServiceOptions& options);

// Rebuilds the catalogue index of an existing storage folder and prints what it found.
int RunReindex(const config::ServiceOptions& options);

}  // namespace mr::app
