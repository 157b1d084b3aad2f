// Small pieces the admin pages share. Private to host/web.
#pragma once

#include "web/admin_ui.hpp"

#include <calyx/orgs/memberships.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace calyx::web::admin_html {

// The session's CSRF token as a hidden form field.
std::string csrf_field(const AdminRequest& admin);
// An error message box (empty message: nothing).
std::string alert(std::string_view message);
// Every value of a repeated form field (checkboxes).
std::vector<std::string> form_values(std::string_view body, std::string_view name);
// A form field's value, or empty.
std::string field(std::string_view body, std::string_view name);

inline std::string_view role_label(orgs::TenantRole role) {
  switch (role) {
    case orgs::TenantRole::owner: return "Owner";
    case orgs::TenantRole::admin: return "Admin";
    case orgs::TenantRole::member: return "Member";
  }
  return "Member";
}

}  // namespace calyx::web::admin_html
