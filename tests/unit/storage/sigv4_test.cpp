// The SigV4 signer against vectors computed by botocore's S3SigV4Auth (sigv4_vectors.py writes
// sigv4_vectors.json), and a check that the committed vectors are what botocore computes today.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/json.hpp"
#include "storage/s3/sigv4.hpp"

namespace mr::storage::s3 {
namespace {

std::string VectorsPath() {
  std::string p = MR_SOURCE_DIR;
  p += "/tests/unit/storage/sigv4_vectors.json";
  return p;
}

Json LoadVectors() {
  std::ifstream in(VectorsPath());
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

TEST(SigV4, UriEncodeAndQuery) {
  EXPECT_EQ(UriEncode("a b/c~d_e-f.g+h=é", true), "a%20b/c~d_e-f.g%2Bh%3D%C3%A9");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(CanonicalQuery({{"prefix", "a b"}, {"list-type", "2"}, {"delete", ""}}),
            "delete=&list-type=2&prefix=a%20b");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(AmzDate(WallTime(std::chrono::seconds(1767225600))), "20260101T000000Z");
}

TEST(SigV4, MatchesBotocoreVectors) {
  Json doc = LoadVectors();
  ASSERT_TRUE(doc.contains("vectors"));
  ASSERT_GE(doc["vectors"].size(), 10u);
  int with_token = 0;
  for (const Json& v : doc["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    SigV4Credentials creds{v["access_key"], v["secret_key"], v["region"], "s3",
                           v.value("session_token", std::string())};
    SigV4Request req;
    req.method = v["method"];
    req.host = v["host"];
    req.path = EncodePath(v["raw_path"].get<std::string>());
    for (const Json& kv : v["query"]) {
      req.query.emplace_back(kv[0], kv[1]);
    }
    for (const Json& kv : v["headers"]) {
      req.headers.emplace_back(kv[0], kv[1]);
    }
    req.payload_hash = v["unsigned_payload"].get<bool>()
                           ? std::string(kUnsignedPayload)
                           : Sha256Hex(v["body"].get<std::string>());
    const WallTime now{std::chrono::seconds(v["time_s"].get<int64_t>())};
    SigV4Signature sig = Sign(req, creds, now);
    const Json& e = v["expected"];
    EXPECT_EQ(req.path, e["path"].get<std::string>());
    EXPECT_EQ(req.payload_hash, e["x_amz_content_sha256"].get<std::string>());
    EXPECT_EQ(sig.amz_date, e["x_amz_date"].get<std::string>());
    EXPECT_EQ(sig.canonical_request, e["canonical_request"].get<std::string>());
    EXPECT_EQ(sig.string_to_sign, e["string_to_sign"].get<std::string>());
    EXPECT_EQ(sig.authorization, e["authorization"].get<std::string>());
    // The token header is sent exactly when botocore sends it, with its value.
    std::string sent_token;
    for (const auto& [n, val] : sig.headers) {
      if (n == "X-Amz-Security-Token") {
        sent_token = val;
      }
    }
    EXPECT_EQ(sent_token, e.value("x_amz_security_token", std::string()));
    if (!creds.session_token.empty()) {
      ++with_token;
    }
  }
  EXPECT_GE(with_token, 3) << "the vectors must cover session tokens";
}

// The committed vectors are exactly what botocore computes (so nobody edits them by hand to
// match a bug). Debian's python (/usr/bin/python3 with python3-boto3) runs the generator.
TEST(SigV4, CommittedVectorsAreBotocoreOutput) {
  std::string cmd = "timeout 60 /usr/bin/python3 ";
  cmd += MR_SOURCE_DIR;
  cmd += "/tests/unit/storage/sigv4_vectors.py";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    out.append(buf.data(), n);
  }
  const int rc = ::pclose(pipe);
  ASSERT_EQ(rc, 0) << "the generator failed (is python3-boto3 installed?)";
  Json fresh = Json::parse(out);
  // The generator line names botocore's version; the vectors themselves must not change.
  EXPECT_EQ(fresh["vectors"], LoadVectors()["vectors"]);
}

}  // namespace
}  // namespace mr::storage::s3
