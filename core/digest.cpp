// Content digests.
#include <calyx/digest.hpp>

#include <sodium.h>

#include <algorithm>

namespace calyx {

std::string hex_digest(std::string_view bytes, std::size_t size) {
  size = std::clamp<std::size_t>(size, 8, crypto_generichash_BYTES_MAX);
  unsigned char digest[crypto_generichash_BYTES_MAX];
  crypto_generichash(digest, size, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr, 0);
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, size);
  hex.pop_back();
  return hex;
}

}  // namespace calyx
