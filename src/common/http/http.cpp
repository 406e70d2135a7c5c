#include "common/http/http.hpp"

#include <cctype>

namespace mr::http {
namespace {

template <typename Pairs>
const std::pair<std::string, std::string>* FindFirst(const Pairs& pairs, std::string_view name) {
  for (const auto& p : pairs) {
    if (p.first == name) {
      return &p;
    }
  }
  return nullptr;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Like JavaScript's decodeURIComponent, an escape sequence that does not form UTF-8 is malformed.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view lower_name) const {
  if (const auto* p = FindFirst(headers, lower_name)) {
    return std::string_view(p->second);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  if (const auto* p = FindFirst(query, name)) {
    return std::string_view(p->second);
  }
  return std::nullopt;
}

size_t Request::QueryCount(std::string_view name) const {
  size_t n = 0;
  for (const auto& p : query) {
    if (p.first == name) {
      ++n;
    }
  }
  return n;
}

std::string_view Request::Param(std::string_view name) const {
  if (const auto* p = FindFirst(params, name)) {
    return p->second;
  }
  return {};
}

void Response::SetHeader(std::string name, std::string value) {
  // Header names are case-insensitive: replace any spelling of the same name.
  auto same = [&](const std::string& other) {
    if (other.size() != name.size()) {
      return false;
    }
    for (size_t i = 0; i < other.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(other[i])) !=
          std::tolower(static_cast<unsigned char>(name[i]))) {
        return false;
      }
    }
    return true;
  };
  for (auto it = headers.begin(); it != headers.end();) {
    if (same(it->first)) {
      it = headers.erase(it);
    } else {
      ++it;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

Response Response::MakeJson(int status, const Json& body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  // Replace invalid UTF-8 rather than throwing: a response must always be producible.
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

Response Response::MakeError(int status, std::string_view error, std::string_view message) {
  Json body = Json::object();
  body["error"] = std::string(error);
  body["message"] = std::string(message);
  return MakeJson(status, body);
}

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return std::nullopt;
      }
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (!IsValidUtf8(out)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace mr::http
