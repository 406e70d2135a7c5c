#include "common/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace mr {

std::string SystemRandom::SecureHex(size_t n) {
  return SecureString(n, "0123456789abcdef");
}

std::string SystemRandom::SecureString(size_t n, const std::string& alphabet) {
  // Rejection sampling keeps the distribution uniform for any alphabet size.
  const size_t limit = 256 - (256 % alphabet.size());
  std::string out;
  out.reserve(n);
  std::vector<unsigned char> buf(n * 2 + 16);
  while (out.size() < n) {
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    for (unsigned char b : buf) {
      if (b < limit && out.size() < n) {
        out.push_back(alphabet[b % alphabet.size()]);
      }
    }
  }
  return out;
}

}  // namespace mr
