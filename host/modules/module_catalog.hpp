// The modules this host process uses: discovered in CALYX_MODULES_DIR at start, loaded once, resolved into a
// registry (never reloaded or unloaded while the process runs). Thread-safety: immutable after load().
#pragma once

#include "config/settings.hpp"

#include <calyx/modules/loader.hpp>
#include <calyx/modules/registry.hpp>

#include <memory>

namespace calyx::host {

class ModuleCatalog {
 public:
  // Loads every module of settings.modules_dir; refusals are recorded (and logged when `log`), never fatal.
  static std::unique_ptr<ModuleCatalog> load(const config::Settings& settings, bool log = true);

  const modules::ModuleRegistry& registry() const { return registry_; }

 private:
  explicit ModuleCatalog(modules::ModuleRegistry registry) : registry_(std::move(registry)) {}
  modules::ModuleRegistry registry_;
};

// First path segments the host keeps for its own pages: no module route may start with one.
const std::vector<std::string>& reserved_path_prefixes();

}  // namespace calyx::host
