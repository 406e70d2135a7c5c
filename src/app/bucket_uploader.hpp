#pragma once
// BucketUploader: lksim's EgressUploader over our ObjectStore, so the embedded LiveKit stands in
// for an Egress that uploads its recordings to the fleet's S3 bucket. The file is read whole and
// stored with one Put (the S3 store switches to a multipart upload above its threshold and
// retries by itself); recordings of the embedded server are test-sized, so reading them into
// memory is acceptable here, not in a real Egress.

#include "lksim/uploader.hpp"
#include "recording/object_store.hpp"

namespace mr::app {

class BucketUploader final : public lksim::EgressUploader {
 public:
  explicit BucketUploader(recording::ObjectStore& store) : store_(store) {}
  Task<Status> Upload(std::filesystem::path local_file, std::string key) override;

 private:
  recording::ObjectStore& store_;
};

}  // namespace mr::app
