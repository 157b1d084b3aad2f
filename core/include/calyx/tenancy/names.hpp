// The names tenants are known by: slugs (validated, reserved names refused) and domain names (normalized,
// validated). Thread-safety: pure functions.
#pragma once

#include <calyx/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace calyx::tenancy {

// A slug: 2-40 characters, lower-case letters, digits and dashes, starting with a letter, not ending with a
// dash, not in `reserved` (CALYX_RESERVED_TENANTS), not a PostgreSQL name (pg_*, information_schema, public).
Status validate_slug(std::string_view slug, const std::vector<std::string>& reserved);

// A domain as stored: lower case, no port, no trailing dot; refused unless a valid DNS host name.
Result<std::string> normalize_domain(std::string_view host);

}  // namespace calyx::tenancy
