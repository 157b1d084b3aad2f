// The module registry: from what the loader found, the set of modules the host will use, each other file
// refused with its reason (duplicate code, missing or refused dependency, version not met, dependency cycle,
// route clash, reserved path); the modules in dependency order; the route table; the hook handlers.
// Thread-safety: built once at start, immutable afterwards; every query is lock-free and thread-safe.
#pragma once

#include <calyx/modules/loader.hpp>
#include <calyx/modules/module_info.hpp>
#include <calyx/modules/route_table.hpp>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::modules {

struct ModuleStatus {
  std::string file;
  std::shared_ptr<const ModuleInfo> module;  // null when refused before its description could be read
  bool loaded = false;
  std::string reason;  // why it was refused (without the file name)
};

struct HookCall {
  const ModuleInfo* module;
  const HookHandler* handler;
};

class ModuleRegistry {
 public:
  // `reserved_prefixes`: first path segments the host keeps for itself ("healthz", "admin", ...).
  static ModuleRegistry build(std::vector<ModuleLoader::Outcome> outcomes,
                              const std::vector<std::string>& reserved_prefixes = {});

  // Every file considered, in file order, loaded or refused.
  const std::vector<ModuleStatus>& statuses() const { return statuses_; }
  // Loaded modules, each after everything it depends on.
  const std::vector<const ModuleInfo*>& in_dependency_order() const { return ordered_; }
  const ModuleInfo* find(std::string_view code) const;

  std::optional<RouteMatch> route(std::string_view method, std::string_view path) const {
    return routes_.find(method, path);
  }
  bool path_exists(std::string_view path) const { return routes_.path_exists(path); }

  // `code` and everything it needs, transitively, dependencies first (for enabling a module).
  std::vector<const ModuleInfo*> with_dependencies(std::string_view code) const;

  // Handlers of `point` among `active` modules: modules in dependency order, a module's handlers by priority.
  std::vector<HookCall> hook_handlers(std::string_view point, const std::set<std::string, std::less<>>& active) const;

 private:
  std::vector<ModuleStatus> statuses_;
  std::vector<const ModuleInfo*> ordered_;
  RouteTable routes_;
};

}  // namespace calyx::modules
