// Module discovery at start-up.
#include "modules/module_catalog.hpp"

#include <calyx/modules/call.hpp>

#include <spdlog/spdlog.h>

namespace calyx::host {

const std::vector<std::string>& reserved_path_prefixes() {
  static const std::vector<std::string> prefixes = {"healthz", "readyz", "admin",  "auth", "assets",
                                                    "static",  "dev",    "_calyx", "platform"};
  return prefixes;
}

std::unique_ptr<ModuleCatalog> ModuleCatalog::load(const config::Settings& settings, bool log) {
  modules::ModuleLoader loader(modules::host_api());
  auto registry = modules::ModuleRegistry::build(loader.discover(settings.modules_dir), reserved_path_prefixes());
  for (const auto& status : log ? registry.statuses() : std::vector<modules::ModuleStatus>{}) {
    if (status.loaded) {
      spdlog::info("module {} {} loaded from {}", status.module->code, status.module->version.to_string(), status.file);
    } else {
      spdlog::warn("module {} refused: {}", status.file, status.reason);
    }
  }
  return std::unique_ptr<ModuleCatalog>(new ModuleCatalog(std::move(registry)));
}

}  // namespace calyx::host
