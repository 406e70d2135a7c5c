#pragma once
// A snapshot of the catalogue index, so a restart can serve at once instead of scanning every
// metadata object first. It is only a start-up hint: the full scan still runs (in the background)
// and replaces it, so storage stays the source of truth.
// Format (text, one entry a line): a header line `mr-catalogue-snapshot 1 {subbucket}`, then
// `{start_ms}\t{status}\t{room_id}\t{recording_id}`. Ids never contain tabs or newlines
// (recording/ids.hpp validates them).

#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "recording/catalogue_index.hpp"

namespace mr::recording {

std::string EncodeCatalogueSnapshot(std::string_view subbucket, const std::vector<IndexEntry>& entries);

// kInvalidArgument for another format version, another sub-bucket, or any malformed line (a
// damaged snapshot is ignored as a whole, never half-loaded).
Result<std::vector<IndexEntry>> DecodeCatalogueSnapshot(std::string_view subbucket,
                                                        std::string_view text);

}  // namespace mr::recording
