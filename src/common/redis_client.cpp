#include "common/redis_client.hpp"

#include <openssl/evp.h>

namespace mr {

RedisScript RedisScript::From(std::string source) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(source.data(), source.size(), md, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 0xf]);
  }
  return RedisScript{.source = std::move(source), .sha1 = std::move(hex)};
}

}  // namespace mr
