// Loads module libraries with Boost.DLL: checks the static magic (sizes, ABI version) before any module code
// runs, calls init once with the host services table, validates and copies the module's description. Every
// refusal is an Error whose message names the file and the reason. Libraries are never unloaded.
// Thread-safety: a ModuleLoader is used from one thread (start-up); the ModuleInfo it returns is immutable.
#pragma once

#include <calyx/modules/module_info.hpp>
#include <calyx/plugin_api.h>
#include <calyx/result.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace calyx::modules {

class ModuleLoader {
 public:
  // `host` is the services table handed to every module's init; it must outlive the process's modules.
  explicit ModuleLoader(const calyx_host_api* host);
  ~ModuleLoader();
  ModuleLoader(const ModuleLoader&) = delete;
  ModuleLoader& operator=(const ModuleLoader&) = delete;

  // Loads one library. Loading the same file again (by canonical path) returns the first result.
  Result<std::shared_ptr<const ModuleInfo>> load(const std::filesystem::path& file);

  struct Outcome {
    std::string file;
    Result<std::shared_ptr<const ModuleInfo>> module;
  };
  // Loads every shared library (*.so) directly in `directory`, in file-name order. A missing directory gives
  // an empty list.
  std::vector<Outcome> discover(const std::filesystem::path& directory);

 private:
  struct Library;
  const calyx_host_api* host_;
  std::map<std::string, Result<std::shared_ptr<const ModuleInfo>>> by_path_;
  std::vector<std::unique_ptr<Library>> libraries_;
};

// Validates a module code: [a-z][a-z0-9_]{1,31}.
bool is_valid_module_code(std::string_view code);

}  // namespace calyx::modules
