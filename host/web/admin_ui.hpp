// The admin pages in the app layout.
//   Tenant admin (the tenant's owners and admins, and platform admins): /admin/members (roles, module roles,
//   removal, adding people), /admin/modules (on/off with dependencies), /admin/theme (the theme editor with
//   a live preview and image uploads), /admin/domains, /admin/settings (name, language, sign-up, support email).
//   Platform admin (platform admins only): /platform/tenants (create, suspend, activate, delete, custom JS),
//   /platform/modules (the catalog with load status and refusal reasons), /platform/audit.
//   Everyone signed in: /account/language.
// Every change is audited, applied to this host's tenant directory at once (other hosts follow within a
// second), and answered with a redirect carrying a flash message.
// Thread-safety: handle() runs on many threads at once; state is in the database.
#pragma once

#include "http/router.hpp"
#include "web/layout.hpp"
#include "web/sessions.hpp"

#include <calyx/accounts/accounts.hpp>
#include <calyx/audit/audit_log.hpp>
#include <calyx/authz/authorize.hpp>
#include <calyx/orgs/memberships.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <functional>
#include <string_view>

namespace calyx::web {

struct AdminServices {
  tenancy::Tenancy& tenancy;
  accounts::Accounts& accounts;
  orgs::Memberships& memberships;
  audit::AuditLog& audit;
  std::function<void()> refresh;  // reloads this host's tenant directory after a change
  bool secure_cookies = false;
  orgs::TenantInvitations* invitations = nullptr;  // invitations by email (null: none offered)
  SessionPages* mailer = nullptr;                  // sends them, in the tenant's theme
};

// One admin request: the tenant whose host it came to, who asks, and the page frame TenantFront built.
struct AdminRequest {
  const tenancy::Tenant& tenant;
  const Visitor& visitor;  // signed in
  const authz::Subject& who;
  Frame frame;
};

class AdminPages {
 public:
  explicit AdminPages(AdminServices services);

  static bool handles(std::string_view path);
  // Owners and admins of the tenant, and platform admins.
  static bool manages_tenant(const authz::Subject& who);
  // Owners and platform admins: only they make owners or change an owner's membership.
  static bool acts_as_owner(const authz::Subject& who);

  http::Response handle(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);

 private:
  http::Response members(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);
  http::Response invitation(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin,
                            std::string_view action);
  http::Response modules(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);
  http::Response theme(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);
  http::Response theme_upload(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);
  http::Response domains(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);
  http::Response settings(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);
  http::Response language(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin);
  http::Response platform_tenants(const http::Request& request, const http::RequestContext& context,
                                  const AdminRequest& admin);
  http::Response platform_modules(const http::Request& request, const AdminRequest& admin);
  http::Response platform_audit(const http::Request& request, const AdminRequest& admin);

  // The theme editor, with the values shown and the refusals to show beside their fields.
  http::Response theme_form(const http::Request& request, const AdminRequest& admin, const themes::Values& shown,
                            const std::vector<themes::Refusal>& refusals, http::bhttp::status status);
  // After a change: audit it, refresh the directory, and redirect to `location` with `flash`.
  http::Response done(const http::Request& request, const http::RequestContext& context, const AdminRequest& admin,
                      std::string_view action, std::string_view target, std::string_view location, Flash flash);
  // The same page again with an error message (the change was refused; nothing was kept).
  http::Response refused(const http::Request& request, const AdminRequest& admin, std::string_view title,
                         std::string_view message);

  AdminServices services_;
};

// The parts of a multipart/form-data body (file uploads).
struct FormPart {
  std::string name, filename, content_type, content;
};
// nullopt when the body is not well-formed multipart for the request's boundary.
std::optional<std::vector<FormPart>> multipart_parts(const http::Request& request);

}  // namespace calyx::web
