#pragma once
// EgressUploader: where lksim's egress puts a finished recording when it stands in for a LiveKit
// Egress configured with its own (S3) storage. lksim depends only on common (STYLE), so it sees
// the bucket through this port; the app adapts its object store to it.
//
// Contract:
//   - Upload(local_file, key) copies one finished file to the bucket under `key` (a relative key,
//     no leading '/', e.g. "openvidu-meet/recordings/room/room--uid.mp4") and returns Ok once the
//     object is stored whole. Any failure is a non-OK Status (kUnavailable for an outage,
//     kDestination for a refusing bucket, ...); its message ends up in the egress's `error`.
//   - The implementation retries by itself; lksim calls Upload once per egress and never retries.
//   - Upload must finish in bounded time (its retries give up): LkSim::Stop waits for in-flight
//     uploads only up to LkSimOptions::upload_stop_timeout, and an upload still running after
//     that is abandoned, its coroutine suspended until the uploader completes it.
//   - It runs as a coroutine on lksim's io_context, possibly several at once (one per ending
//     egress) and from any of the threads running that io_context. It must not delete or move
//     `local_file`: lksim removes its staging copy itself after a successful upload.
// Thread safety: implementations must allow concurrent calls.

#include <filesystem>
#include <string>

#include "common/async.hpp"
#include "common/status.hpp"

namespace mr::lksim {

class EgressUploader {
 public:
  virtual ~EgressUploader() = default;
  virtual Task<Status> Upload(std::filesystem::path local_file, std::string key) = 0;
  // The `location` reported in the egress's file results for an uploaded `key` (LiveKit reports
  // the object's URL). Default: the key itself.
  virtual std::string Location(const std::string& key) const { return key; }
};

}  // namespace mr::lksim
