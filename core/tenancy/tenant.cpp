// Tenant enums as text.
#include <calyx/tenancy/tenant.hpp>

#include <fmt/format.h>

namespace calyx::tenancy {

std::string_view to_string(TenantStatus status) {
  switch (status) {
    case TenantStatus::active: return "active";
    case TenantStatus::inactive: return "inactive";
    case TenantStatus::suspended: return "suspended";
    case TenantStatus::deleted: return "deleted";
  }
  return "?";
}

std::string_view to_string(Isolation isolation) {
  switch (isolation) {
    case Isolation::shared: return "shared";
    case Isolation::isolated: return "isolated";
    case Isolation::enterprise: return "enterprise";
  }
  return "?";
}

Result<TenantStatus> parse_status(std::string_view text) {
  for (auto status : {TenantStatus::active, TenantStatus::inactive, TenantStatus::suspended, TenantStatus::deleted}) {
    if (to_string(status) == text) return status;
  }
  return Error::invalid_argument(fmt::format("'{}' is not a tenant status (active, inactive, suspended, deleted)", text));
}

Result<Isolation> parse_isolation(std::string_view text) {
  for (auto isolation : {Isolation::shared, Isolation::isolated, Isolation::enterprise}) {
    if (to_string(isolation) == text) return isolation;
  }
  return Error::invalid_argument(fmt::format("'{}' is not an isolation level (shared, isolated, enterprise)", text));
}

}  // namespace calyx::tenancy
