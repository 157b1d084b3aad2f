// Content digests for cache validators and stored hashes: BLAKE2b, as lower-case hex.
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace calyx {

// The BLAKE2b digest of `bytes`, `size` bytes long (8 to 64), in hex (twice as many characters).
std::string hex_digest(std::string_view bytes, std::size_t size = 16);

}  // namespace calyx
