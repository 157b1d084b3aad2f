// The fixture modules of tests/fixtures/modules, by name, and directories holding a chosen set of them.
#pragma once

#include "support/temp_dir.hpp"

#include <filesystem>
#include <initializer_list>
#include <string>

namespace calyx::testing {

// The built fixture library `name` (e.g. "good_alpha" → .../good_alpha.so).
inline std::string fixture_module(const std::string& name) {
  return std::string(CALYX_FIXTURE_MODULES_DIR) + "/" + name + ".so";
}

// A temporary modules directory holding copies of the named fixtures.
class ModulesDir {
 public:
  ModulesDir(std::initializer_list<std::string> names) {
    for (const auto& name : names) {
      std::filesystem::copy_file(fixture_module(name), dir_.path() / (name + ".so"));
    }
  }
  std::filesystem::path path() const { return dir_.path(); }
  std::string file(const std::string& name) const {
    return std::filesystem::canonical(dir_.path() / (name + ".so")).string();
  }

 private:
  TempDir dir_;
};

}  // namespace calyx::testing
