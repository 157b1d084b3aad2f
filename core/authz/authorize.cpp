// The layered authorization decision.
#include <calyx/authz/authorize.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace calyx::authz {

std::string_view to_string(Layer layer) {
  switch (layer) {
    case Layer::tenant_access: return "tenant access";
    case Layer::module_access: return "module access";
    case Layer::module_permission: return "module permission";
    case Layer::resource: return "resource";
  }
  return "tenant access";
}

std::set<std::string, std::less<>> permissions(const Subject& subject, const modules::ModuleRegistry& registry,
                                               const std::vector<std::string>& tenant_modules) {
  std::set<std::string, std::less<>> out;
  bool everything = subject.platform_admin ||
                    (subject.membership && subject.membership->role != orgs::TenantRole::member);
  if (!everything && !subject.membership) return out;
  for (const auto& code : tenant_modules) {
    const modules::ModuleInfo* module = registry.find(code);
    if (!module) continue;
    for (const auto& role : module->roles) {
      bool granted = everything || (subject.membership &&
                                    std::find(subject.membership->module_roles.begin(), subject.membership->module_roles.end(),
                                              role.code) != subject.membership->module_roles.end());
      if (granted) out.insert(role.permissions.begin(), role.permissions.end());
    }
  }
  if (subject.membership) {
    for (const auto& prohibited : subject.membership->prohibited) out.erase(prohibited);
  }
  return out;
}

Decision authorize(const Subject& subject, const modules::ModuleRegistry& registry,
                   const std::vector<std::string>& tenant_modules, std::string_view module_code,
                   std::string_view permission) {
  if (subject.user_id == 0) return {false, Layer::tenant_access, "sign in to use this workspace"};
  if (!subject.membership && !subject.platform_admin) {
    return {false, Layer::tenant_access, "you are not a member of this workspace"};
  }
  if (std::find(tenant_modules.begin(), tenant_modules.end(), module_code) == tenant_modules.end()) {
    return {false, Layer::module_access, fmt::format("this workspace does not use the module '{}'", module_code)};
  }
  if (permission.empty()) return {true, Layer::module_permission, {}};
  if (subject.membership) {
    const auto& prohibited = subject.membership->prohibited;
    if (std::find(prohibited.begin(), prohibited.end(), permission) != prohibited.end()) {
      return {false, Layer::module_permission, fmt::format("'{}' is prohibited for you in this workspace", permission)};
    }
  }
  if (!permissions(subject, registry, tenant_modules).contains(permission)) {
    return {false, Layer::module_permission, fmt::format("none of your roles grants '{}'", permission)};
  }
  return {true, Layer::module_permission, {}};
}

}  // namespace calyx::authz
