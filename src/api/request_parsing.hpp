#pragma once
// Small, pure parsers for request inputs, each matching the reference's validator behaviour
// (reference §2.3) with scope.md's fixes. Table-tested in tests/unit/api/request_parsing_test.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace mr::api {

// JavaScript's Number(string) for query coercion: trims whitespace, "" → 0, decimal with optional
// exponent, 0x/0o/0b integers, "Infinity"; anything else → nullopt (NaN).
std::optional<double> JsNumber(std::string_view s);

// `Range` header (reference §2.3.7): must match ^bytes=\d+-\d*$.
struct RangeSpec {
  uint64_t start = 0;
  std::optional<uint64_t> end;  // Inclusive; nullopt for "bytes=N-".
  bool start_overflow = false;  // The start did not fit 64 bits (so it is beyond any file).
};
std::optional<RangeSpec> ParseRangeHeader(std::string_view value);

// Resolves a range against an object size (scope.md, Q7): start ≥ size or start > end →
// unsatisfiable (nullopt); end is clamped to size-1; "bytes=N-" runs to the end of the object.
struct ResolvedRange {
  uint64_t first = 0;
  uint64_t last = 0;
};
std::optional<ResolvedRange> ResolveRange(const RangeSpec& spec, uint64_t size);

// The `fields` filter (reference §2.3.3): split on commas, trim, keep the named keys that exist,
// in the order given; an empty/blank list returns the record unchanged.
std::vector<std::string> SplitFieldList(std::string_view fields);
Json ProjectFields(const Json& record, const std::vector<std::string>& fields);

// Parses a JSON request body; an empty body is `{}` (as Express leaves it). nullopt when malformed.
std::optional<Json> ParseJsonBody(const std::string& body);

// Splits a comma list, trims each element and drops empty ones.
std::vector<std::string> SplitCommaList(std::string_view s);

}  // namespace mr::api
