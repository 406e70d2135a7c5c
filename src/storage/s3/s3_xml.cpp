#include "storage/s3/s3_xml.hpp"

#include <ctime>
#include <sstream>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "common/parse_int.hpp"

namespace mr::storage::s3 {
namespace {

namespace pt = boost::property_tree;

std::optional<pt::ptree> ParseXml(std::string_view body) {
  try {
    std::istringstream in{std::string(body)};
    pt::ptree tree;
    pt::read_xml(in, tree);
    return tree;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      // Line ends and tabs would be normalised by the XML parser: keep them as references.
      case '\r': out += "&#13;"; break;
      case '\n': out += "&#10;"; break;
      case '\t': out += "&#9;"; break;
      default: out += c;
    }
  }
  return out;
}

int64_t ToMs(std::tm& tm, int millis) {
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

}  // namespace

S3ErrorBody ParseErrorBody(std::string_view body) {
  S3ErrorBody out;
  auto tree = ParseXml(body);
  if (!tree) {
    return out;
  }
  if (auto err = tree->get_child_optional("Error")) {
    out.code = err->get<std::string>("Code", "");
    out.message = err->get<std::string>("Message", "");
  }
  return out;
}

Result<ListResult> ParseListResult(std::string_view body) {
  auto tree = ParseXml(body);
  if (!tree || !tree->get_child_optional("ListBucketResult")) {
    return InternalError("S3 Error: unreadable ListObjectsV2 reply");
  }
  const pt::ptree& root = tree->get_child("ListBucketResult");
  ListResult out;
  out.truncated = root.get<std::string>("IsTruncated", "false") == "true";
  for (const auto& [name, node] : root) {
    if (name != "Contents") {
      continue;
    }
    recording::ObjectInfo info;
    info.key = node.get<std::string>("Key", "");
    auto size = ParseInt(node.get<std::string>("Size", ""));
    auto modified = ParseIsoDateMs(node.get<std::string>("LastModified", ""));
    if (info.key.empty() || !size || *size < 0) {
      return InternalError("S3 Error: unreadable entry in a ListObjectsV2 reply");
    }
    info.size = static_cast<uint64_t>(*size);
    info.last_modified_ms = modified.value_or(0);
    out.objects.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<S3ErrorBody>> ParseDeleteErrors(std::string_view body,
                                                   std::vector<std::string>* keys) {
  auto tree = ParseXml(body);
  if (!tree) {
    return InternalError("S3 Error: unreadable DeleteObjects reply");
  }
  std::vector<S3ErrorBody> errors;
  if (auto err = tree->get_child_optional("Error")) {
    errors.push_back({err->get<std::string>("Code", ""), err->get<std::string>("Message", "")});
    return errors;
  }
  auto root = tree->get_child_optional("DeleteResult");
  if (!root) {
    return InternalError("S3 Error: unreadable DeleteObjects reply");
  }
  for (const auto& [name, node] : *root) {
    if (name == "Error") {
      errors.push_back({node.get<std::string>("Code", ""), node.get<std::string>("Message", "")});
      if (keys != nullptr) {
        keys->push_back(node.get<std::string>("Key", ""));
      }
    }
  }
  return errors;
}

std::string DeleteBody(const std::vector<std::string>& keys) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
  for (const std::string& k : keys) {
    out += "<Object><Key>";
    out += XmlEscape(k);
    out += "</Key></Object>";
  }
  out += "</Delete>";
  return out;
}

Result<std::string> ParseUploadId(std::string_view body) {
  auto tree = ParseXml(body);
  std::string id;
  if (tree) {
    id = tree->get<std::string>("InitiateMultipartUploadResult.UploadId", "");
  }
  if (id.empty()) {
    return InternalError("S3 Error: no UploadId in the CreateMultipartUpload reply");
  }
  return id;
}

std::string CompleteBody(const std::vector<std::string>& etags) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    out += "<Part><PartNumber>";
    out += std::to_string(i + 1);
    out += "</PartNumber><ETag>";
    out += XmlEscape(etags[i]);
    out += "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::optional<int64_t> ParseHttpDateMs(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  return ToMs(tm, 0);
}

std::optional<int64_t> ParseIsoDateMs(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    return std::nullopt;
  }
  int millis = 0;
  if (*end == '.') {
    ++end;
    int digits = 0;
    while (*end >= '0' && *end <= '9') {
      if (digits < 3) {
        millis = millis * 10 + (*end - '0');
      }
      ++digits;
      ++end;
    }
    for (; digits < 3; ++digits) {
      millis *= 10;
    }
  }
  if (*end != 'Z' || end[1] != '\0') {
    return std::nullopt;
  }
  return ToMs(tm, millis);
}

}  // namespace mr::storage::s3
