// A tenant: a customer's workspace. Its status decides whether it is served; its isolation level decides
// where its module data lives. Thread-safety: plain values.
#pragma once

#include <calyx/result.hpp>
#include <calyx/themes/theme.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::tenancy {

enum class TenantStatus { active, inactive, suspended, deleted };
enum class Isolation {
  shared,      // module tables shared with other tenants, rows keyed by tenant
  isolated,    // PostgreSQL: a schema of its own; SQLite: a database file of its own
  enterprise,  // a database of its own, named by the operator
};

std::string_view to_string(TenantStatus status);
std::string_view to_string(Isolation isolation);
Result<TenantStatus> parse_status(std::string_view text);
Result<Isolation> parse_isolation(std::string_view text);

struct Tenant {
  std::int64_t id = 0;
  std::string slug, name;
  TenantStatus status = TenantStatus::active;
  Isolation isolation = Isolation::isolated;
  // Where its data is: the PostgreSQL schema (isolated), the SQLite file (isolated), or the database URL
  // (enterprise).
  std::string data_location;
  std::optional<std::int64_t> parent_id;
  bool allow_signup = false;  // people may register on its host
  std::optional<std::int64_t> org_id;  // the organization that owns it
  std::string support_email;           // its emails come from this address when set
  themes::Values theme;                // the theme fields it set itself (the rest inherit)
  bool allow_custom_js = false;        // a platform admin lets its custom JavaScript run
  std::string locale = "en";           // its interface language unless a user chose another
  themes::Resolved effective_theme;    // `theme` with what it leaves unset taken from its ancestors and defaults
  std::string created_at, updated_at;
  std::vector<std::string> domains;  // primary first
  std::vector<std::string> modules;  // active subscriptions, by code
};

}  // namespace calyx::tenancy
