#pragma once
// Random: the injected source of randomness. SecureHex is for secrets (OpenSSL RAND_bytes);
// FastHex for non-secret ids such as the recording uid. Thread safety: safe from any thread.

#include <cstddef>
#include <string>

namespace mr {

class Random {
 public:
  virtual ~Random() = default;
  // `n` lowercase hexadecimal characters from a cryptographic generator.
  virtual std::string SecureHex(size_t n) = 0;
  // `n` characters drawn from `alphabet` with a cryptographic generator.
  virtual std::string SecureString(size_t n, const std::string& alphabet) = 0;
};

class SystemRandom final : public Random {
 public:
  std::string SecureHex(size_t n) override;
  std::string SecureString(size_t n, const std::string& alphabet) override;
};

}  // namespace mr
