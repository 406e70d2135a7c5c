#pragma once
// A small valid MP4 (1 s, 16x16 H.264 + AAC) embedded in the binary, written by the NullEncoder.
// Thread safety: immutable data.

#include <string_view>

namespace mr::lksim {

std::string_view NullMp4Bytes();

}  // namespace mr::lksim
