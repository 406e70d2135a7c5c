#include "api/request_parsing.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace mr::api {
namespace {

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    int v = std::isdigit(static_cast<unsigned char>(c))
                ? c - '0'
                : (std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(c) - 'a' + 10 : 99);
    if (v >= base) {
      return false;
    }
  }
  return true;
}

// Parses a run of decimal digits; false on overflow.
bool ParseU64(std::string_view s, uint64_t* out) {
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<double> JsNumber(std::string_view raw) {
  std::string_view s = Trim(raw);
  if (s.empty()) {
    return 0.0;
  }
  if (s == "Infinity" || s == "+Infinity") {
    return std::numeric_limits<double>::infinity();
  }
  if (s == "-Infinity") {
    return -std::numeric_limits<double>::infinity();
  }
  if (s.size() > 2 && s[0] == '0') {
    int base = 0;
    char p = static_cast<char>(std::tolower(s[1]));
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (base != 0) {
      std::string_view digits = s.substr(2);
      if (!AllDigits(digits, base)) {
        return std::nullopt;
      }
      double v = 0;
      for (char c : digits) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
        v = v * base + d;
      }
      return v;
    }
  }
  // Decimal: [+-] digits [. digits] [e [+-] digits], at least one digit in the mantissa.
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') {
    ++i;
  }
  size_t mantissa_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    ++i;
    ++mantissa_digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      ++mantissa_digits;
    }
  }
  if (mantissa_digits == 0) {
    return std::nullopt;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0) {
      return std::nullopt;
    }
  }
  if (i != s.size()) {
    return std::nullopt;
  }
  return std::strtod(std::string(s).c_str(), nullptr);
}

std::optional<RangeSpec> ParseRangeHeader(std::string_view v) {
  constexpr std::string_view kPrefix = "bytes=";
  if (v.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  v.remove_prefix(kPrefix.size());
  size_t dash = v.find('-');
  if (dash == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view a = v.substr(0, dash);
  std::string_view b = v.substr(dash + 1);
  auto digits = [](std::string_view s) {
    for (char c : s) {
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  };
  if (a.empty() || !digits(a) || !digits(b)) {
    return std::nullopt;
  }
  RangeSpec spec;
  if (!ParseU64(a, &spec.start)) {
    spec.start_overflow = true;
    spec.start = std::numeric_limits<uint64_t>::max();
  }
  if (!b.empty()) {
    uint64_t end = 0;
    spec.end = ParseU64(b, &end) ? end : std::numeric_limits<uint64_t>::max();
  }
  return spec;
}

std::optional<ResolvedRange> ResolveRange(const RangeSpec& spec, uint64_t size) {
  if (size == 0 || spec.start_overflow || spec.start >= size) {
    return std::nullopt;
  }
  uint64_t last = spec.end ? std::min(*spec.end, size - 1) : size - 1;
  if (spec.start > last) {
    return std::nullopt;
  }
  return ResolvedRange{spec.start, last};
}

std::vector<std::string> SplitCommaList(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) {
      comma = s.size();
    }
    std::string_view item = Trim(s.substr(start, comma - start));
    if (!item.empty()) {
      out.emplace_back(item);
    }
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> SplitFieldList(std::string_view fields) { return SplitCommaList(fields); }

Json ProjectFields(const Json& record, const std::vector<std::string>& fields) {
  if (fields.empty() || !record.is_object()) {
    return record;
  }
  Json out = Json::object();
  for (const auto& f : fields) {
    auto it = record.find(f);
    if (it != record.end() && !out.contains(f)) {
      out[f] = *it;
    }
  }
  return out;
}

std::optional<Json> ParseJsonBody(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Json::object();
  }
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return std::nullopt;
  }
  return json;
}

}  // namespace mr::api
