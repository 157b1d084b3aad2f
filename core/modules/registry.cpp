// Resolution of loaded modules into a consistent set. Passes: duplicate codes (the first file wins) →
// dependencies (missing, refused, version not met; repeated until nothing changes, so refusals cascade) →
// cycles → routes in dependency order (reserved paths, clashes: the later module is refused) → dependencies
// again for the dependents of route refusals.
#include <calyx/modules/registry.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace calyx::modules {
namespace {

using Candidates = std::map<std::string, ModuleStatus*, std::less<>>;  // loaded so far, by code

// Refuses every candidate whose dependencies are not all loaded and satisfied, until stable.
void cascade_dependencies(Candidates& candidates, const std::map<std::string, ModuleStatus*, std::less<>>& all) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (auto it = candidates.begin(); it != candidates.end();) {
      ModuleStatus& status = *it->second;
      std::string reason;
      for (const auto& dependency : status.module->dependencies) {
        auto found = candidates.find(dependency.code);
        if (found == candidates.end()) {
          bool refused = all.contains(dependency.code);
          reason = refused ? fmt::format("needs module '{}', which was refused", dependency.code)
                           : fmt::format("missing dependency: needs module '{}', which is not installed", dependency.code);
          break;
        }
        const Version& version = found->second->module->version;
        if (!dependency.requirement.allows(version)) {
          reason = fmt::format("dependency version not met: needs '{}' {}, found {}", dependency.code,
                               dependency.requirement.text(), version.to_string());
          break;
        }
      }
      if (reason.empty()) {
        ++it;
        continue;
      }
      status.loaded = false;
      status.reason = reason;
      it = candidates.erase(it);
      changed = true;
    }
  }
}

// Orders candidates dependencies-first; refuses every module on or behind a dependency cycle.
std::vector<const ModuleInfo*> order_or_refuse_cycles(Candidates& candidates) {
  enum class Mark { none, visiting, done };
  std::map<std::string, Mark, std::less<>> marks;
  std::vector<const ModuleInfo*> ordered;
  std::vector<std::string> stack;
  std::set<std::string> cyclic;

  std::function<bool(const std::string&)> visit = [&](const std::string& code) -> bool {
    Mark& mark = marks[code];
    if (mark == Mark::done) return !cyclic.contains(code);
    if (mark == Mark::visiting) {
      auto start = std::find(stack.begin(), stack.end(), code);
      std::string path;
      for (auto it = start; it != stack.end(); ++it) path += *it + " -> ";
      path += code;
      for (auto it = start; it != stack.end(); ++it) {
        if (cyclic.insert(*it).second) {
          candidates.at(*it)->reason = "dependency cycle: " + path;
        }
      }
      return false;
    }
    mark = Mark::visiting;
    stack.push_back(code);
    bool ok = true;
    for (const auto& dependency : candidates.at(code)->module->dependencies) {
      if (!visit(dependency.code)) {
        ok = false;
        if (!cyclic.contains(code)) {
          cyclic.insert(code);
          candidates.at(code)->reason = fmt::format("needs module '{}', which is on a dependency cycle", dependency.code);
        }
      }
    }
    stack.pop_back();
    marks[code] = Mark::done;
    if (ok && !cyclic.contains(code)) ordered.push_back(candidates.at(code)->module.get());
    return ok && !cyclic.contains(code);
  };
  for (const auto& [code, status] : candidates) visit(code);
  for (const auto& code : cyclic) {
    candidates.at(code)->loaded = false;
    candidates.erase(code);
  }
  return ordered;
}

Status check_reserved(const ModuleInfo& module, const std::vector<std::string>& reserved) {
  for (const auto& route : module.routes) {
    auto segments = split_path(route.pattern);
    std::string first = segments.empty() ? "" : std::string(segments.front());
    if (segments.empty() || std::find(reserved.begin(), reserved.end(), first) != reserved.end()) {
      return Error::conflict(fmt::format("route {} {} uses a path reserved by the host", route.method, route.pattern));
    }
  }
  return Ok{};
}

}  // namespace

ModuleRegistry ModuleRegistry::build(std::vector<ModuleLoader::Outcome> outcomes,
                                     const std::vector<std::string>& reserved_prefixes) {
  ModuleRegistry registry;
  registry.statuses_.reserve(outcomes.size());
  for (auto& outcome : outcomes) {
    ModuleStatus status;
    status.file = outcome.file;
    if (outcome.module) {
      status.module = outcome.module.value();
      status.loaded = true;
    } else {
      // The loader's message starts with the file, which the status carries on its own.
      status.reason = outcome.module.error().message();
      if (status.reason.starts_with(status.file + ": ")) status.reason.erase(0, status.file.size() + 2);
    }
    registry.statuses_.push_back(std::move(status));
  }

  Candidates candidates;
  std::map<std::string, ModuleStatus*, std::less<>> all;
  for (auto& status : registry.statuses_) {
    if (!status.loaded) continue;
    const std::string& code = status.module->code;
    all.emplace(code, &status);
    auto [it, inserted] = candidates.emplace(code, &status);
    if (!inserted) {
      status.loaded = false;
      status.reason = fmt::format("duplicate module code '{}': already provided by {}", code, it->second->file);
    }
  }
  cascade_dependencies(candidates, all);
  auto ordered = order_or_refuse_cycles(candidates);

  // Routes, in dependency order: a module whose routes clash with an earlier one is refused whole.
  std::vector<const ModuleInfo*> accepted;
  for (const ModuleInfo* module : ordered) {
    Status ok = check_reserved(*module, reserved_prefixes);
    if (ok) {
      RouteTable trial;
      for (const ModuleInfo* earlier : accepted) {
        for (const auto& route : earlier->routes) (void)trial.add(*earlier, route);
      }
      for (const auto& route : module->routes) {
        if (ok = trial.add(*module, route); !ok) break;
      }
    }
    if (ok) {
      accepted.push_back(module);
      continue;
    }
    ModuleStatus& status = *candidates.at(module->code);
    status.loaded = false;
    status.reason = ok.error().message();
    candidates.erase(module->code);
  }
  cascade_dependencies(candidates, all);

  for (const ModuleInfo* module : ordered) {
    if (!candidates.contains(module->code)) continue;
    registry.ordered_.push_back(module);
    for (const auto& route : module->routes) (void)registry.routes_.add(*module, route);
  }
  return registry;
}

const ModuleInfo* ModuleRegistry::find(std::string_view code) const {
  for (const ModuleInfo* module : ordered_) {
    if (module->code == code) return module;
  }
  return nullptr;
}

std::vector<const ModuleInfo*> ModuleRegistry::with_dependencies(std::string_view code) const {
  std::set<std::string, std::less<>> needed;
  std::function<void(std::string_view)> collect = [&](std::string_view c) {
    const ModuleInfo* module = find(c);
    if (!module || !needed.insert(std::string(c)).second) return;
    for (const auto& dependency : module->dependencies) collect(dependency.code);
  };
  collect(code);
  std::vector<const ModuleInfo*> out;
  for (const ModuleInfo* module : ordered_) {
    if (needed.contains(module->code)) out.push_back(module);
  }
  return out;
}

std::vector<HookCall> ModuleRegistry::hook_handlers(std::string_view point,
                                                    const std::set<std::string, std::less<>>& active) const {
  std::vector<HookCall> calls;
  for (const ModuleInfo* module : ordered_) {
    if (!active.contains(module->code)) continue;
    std::vector<const HookHandler*> handlers;
    for (const auto& hook : module->hooks) {
      if (hook.point == point) handlers.push_back(&hook);
    }
    std::stable_sort(handlers.begin(), handlers.end(),
                     [](const HookHandler* a, const HookHandler* b) { return a->priority < b->priority; });
    for (const HookHandler* handler : handlers) calls.push_back(HookCall{module, handler});
  }
  return calls;
}

}  // namespace calyx::modules
