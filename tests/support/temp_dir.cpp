#include "support/temp_dir.hpp"

#include <sodium.h>

#include <cstdlib>
#include <stdexcept>

namespace calyx::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "calyx-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string random_suffix(std::size_t length) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out += digits[randombytes_uniform(16)];
  return out;
}

}  // namespace calyx::testing
