// execute_hooks (seed §14): runs the handlers of a hook point registered by the tenant's active modules,
// in dependency order, each receiving the JSON data the previous one produced. A handler that fails, or
// returns something that is not JSON, is reported and skipped: the data passes on unchanged, the others run.
// Thread-safety: safe to call concurrently (the registry is immutable; each handler gets its own call).
#pragma once

#include <calyx/modules/call.hpp>
#include <calyx/modules/registry.hpp>

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::modules {

struct HookOutcome {
  std::string data;                   // the JSON after every handler
  std::vector<std::string> failures;  // "module 'x' failed on hook 'p': why"
};

// Fills a call for a module before its handler runs: tenant, user, services.
using CallPreparer = std::function<void(calyx_call& call)>;

HookOutcome execute_hooks(const ModuleRegistry& registry, std::string_view point, std::string data_json,
                          const std::set<std::string, std::less<>>& active_modules, const CallPreparer& prepare);

}  // namespace calyx::modules
