// authorize(user, action, resource) — the seed's §13 — in four layers, in order, each refusal naming its layer:
// (1) tenant access: the user is a member of the tenant, or a platform admin; (2) module access: the tenant
// subscribes to the module; (3) module permission: one of the user's module roles in this tenant grants the
// permission (tenant owners and admins, and platform admins, hold every permission of the tenant's modules);
// (4) resource: the module's own check on the record, made by the module through the ABI (user_can and its own
// rules). An explicit prohibition beats any grant, whoever the user is.
// Thread-safety: pure functions.
#pragma once

#include <calyx/modules/registry.hpp>
#include <calyx/orgs/memberships.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace calyx::authz {

enum class Layer { tenant_access, module_access, module_permission, resource };
std::string_view to_string(Layer layer);

struct Subject {
  std::int64_t user_id = 0;  // 0: nobody is signed in
  bool platform_admin = false;
  std::optional<orgs::Membership> membership;  // in the tenant at hand
};

struct Decision {
  bool allowed = false;
  Layer layer = Layer::tenant_access;  // where it was refused
  std::string reason;
  explicit operator bool() const { return allowed; }
};

// The permissions `subject` holds in a tenant with `tenant_modules`, prohibitions removed.
std::set<std::string, std::less<>> permissions(const Subject& subject, const modules::ModuleRegistry& registry,
                                               const std::vector<std::string>& tenant_modules);

// Layers 1-3 for `permission` of module `module_code` (empty permission: any member may).
Decision authorize(const Subject& subject, const modules::ModuleRegistry& registry,
                   const std::vector<std::string>& tenant_modules, std::string_view module_code,
                   std::string_view permission);

}  // namespace calyx::authz
