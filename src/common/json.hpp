#pragma once
// JSON type used across the service. ordered_json keeps keys in insertion order so records are
// written in the reference's field order and `fields` projections keep the caller's order.

#include <nlohmann/json.hpp>

namespace mr {
using Json = nlohmann::ordered_json;
}  // namespace mr
