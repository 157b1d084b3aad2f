// A directory under /tmp that exists for the lifetime of the object and is removed with everything in it.
#pragma once

#include <filesystem>
#include <string>

namespace calyx::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A random lower-case hex string of `length` characters, for unique names.
std::string random_suffix(std::size_t length = 10);

}  // namespace calyx::testing
