#include "notify/webhook_signature.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace mr::notify {
namespace {

// Known answers computed independently with OpenSSL:
//   printf '%s' '1727000000123.{"a":1}' | openssl dgst -sha256 -hmac key
TEST(WebhookSignatureTest, KnownAnswer) {
  EXPECT_EQ(SignWebhook("key", 1727000000123, R"({"a":1})"),
            "f0b117262636e73c01b23ae9415537f1c98216358b4b56aafc49a068884f693f");
  EXPECT_EQ(SignWebhook("k3y", 1727000000123,
                        R"({"event":"recordingEnded","creationDate":1727000000123,"data":{"a":1}})"),
            "b45b41c61c7d3ec55c5d37391ea38e8aad9bb0e77735f4b4e8965672f1df6b82");
}

TEST(WebhookSignatureTest, VerifyAcceptsOnlyTheExactSignature) {
  const std::string body = R"({"a":1})";
  const std::string sig = SignWebhook("key", 1727000000123, body);
  EXPECT_TRUE(VerifyWebhook("key", 1727000000123, body, sig));
  std::string upper = sig;
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_TRUE(VerifyWebhook("key", 1727000000123, body, upper));

  EXPECT_FALSE(VerifyWebhook("other", 1727000000123, body, sig));
  EXPECT_FALSE(VerifyWebhook("key", 1727000000124, body, sig));
  EXPECT_FALSE(VerifyWebhook("key", 1727000000123, R"({"a":2})", sig));
  EXPECT_FALSE(VerifyWebhook("key", 1727000000123, body, sig.substr(0, 63)));
  // Built piecewise: `sig + "0"` trips a g++ 12 -Wrestrict false positive at -O2.
  std::string longer = sig;
  longer.push_back('0');
  EXPECT_FALSE(VerifyWebhook("key", 1727000000123, body, longer));
  EXPECT_FALSE(VerifyWebhook("key", 1727000000123, body, ""));
  std::string flipped = sig;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(VerifyWebhook("key", 1727000000123, body, flipped));
}

}  // namespace
}  // namespace mr::notify
