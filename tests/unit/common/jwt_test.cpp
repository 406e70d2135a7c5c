#include "common/jwt.hpp"

#include <gtest/gtest.h>

namespace mr::jwt {
namespace {

TEST(JwtTest, Base64Variants) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(Base64UrlEncode("hello"), "aGVsbG8");
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff", 2));
  EXPECT_EQ(Base64Decode("aGVsbG8="), "hello");
  EXPECT_FALSE(Base64UrlDecode("a"));
  EXPECT_FALSE(Base64UrlDecode("a*b="));
}

TEST(JwtTest, Rfc7515AppendixA1Signature) {
  // RFC 7515 A.1: the HS256 example's signing input and key produce its published signature.
  const std::string key = *Base64UrlDecode(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  const std::string input =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
  EXPECT_EQ(Base64UrlEncode(HmacSha256(key, input)), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  auto claims = VerifyHs256(input + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", key,
                            {.now_s = 1300819300, .leeway_s = 0, .require_exp = true, .issuer = "joe"});
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ((*claims)["http://example.com/is_root"], true);
}

TEST(JwtTest, SignVerifyAndRefusals) {
  Json claims = {{"iss", "devkey"}, {"exp", 1000}, {"nbf", 900}, {"video", {{"roomRecord", true}}}};
  const std::string t = SignHs256(claims, "secret");
  VerifyOptions o{.now_s = 950, .leeway_s = 0, .require_exp = true, .issuer = "devkey"};
  ASSERT_TRUE(VerifyHs256(t, "secret", o).ok());
  EXPECT_EQ(VerifyHs256(t, "other", o).status().message(), "invalid signature");
  auto late = o;
  late.now_s = 1061;
  late.leeway_s = 60;
  EXPECT_EQ(VerifyHs256(t, "secret", late).status().message(), "token expired");
  late.now_s = 1060;
  EXPECT_TRUE(VerifyHs256(t, "secret", late).ok());
  auto early = o;
  early.now_s = 800;
  EXPECT_EQ(VerifyHs256(t, "secret", early).status().message(), "token not valid yet");
  auto wrong_iss = o;
  wrong_iss.issuer = "someone";
  EXPECT_EQ(VerifyHs256(t, "secret", wrong_iss).status().message(), "token issuer mismatch");
  // alg none and a tampered payload are refused.
  const std::string none = Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(claims.dump()) + ".";
  EXPECT_FALSE(VerifyHs256(none, "secret", o).ok());
  std::string tampered = t;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_FALSE(VerifyHs256(tampered, "secret", o).ok());
  Json no_exp = {{"iss", "devkey"}};
  EXPECT_EQ(VerifyHs256(SignHs256(no_exp, "secret"), "secret", o).status().message(), "token has no expiry");
  EXPECT_FALSE(VerifyHs256("a.b", "secret", o).ok());
}

}  // namespace
}  // namespace mr::jwt
