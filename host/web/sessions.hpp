// Who is asking, on a tenant's host: the session cookie (`calyx_session`, HttpOnly, SameSite=Lax, host-only, so
// it is never sent to another tenant's domain) resolved to a server-side session of this tenant; the sign-in
// and sign-out pages; and the CSRF rule: a state-changing request that carries a session must bring the
// session's token (`_csrf` form field or `X-CSRF-Token` header); the sign-in form is protected by a
// double-submit token (`calyx_csrf` cookie). Requests without cookies (anonymous, API tokens) carry no ambient
// authority and need none.
// Thread-safety: handle() and visitor() run on many threads at once; state is in the database.
#pragma once

#include "http/router.hpp"
#include "web/layout.hpp"

#include <calyx/accounts/accounts.hpp>
#include <calyx/audit/audit_log.hpp>
#include <calyx/mail/outbox.hpp>
#include <calyx/orgs/memberships.hpp>
#include <calyx/orgs/orgs.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <functional>
#include <optional>
#include <string>

namespace calyx::web {

struct AccountServices {
  accounts::Accounts& accounts;
  orgs::Memberships& memberships;
  audit::AuditLog& audit;
  mail::Outbox& outbox;
  std::string base_domain = "localhost";  // links in emails: the tenant's primary domain, else <slug>.<base>
  bool dev_mode = false;                  // /dev/mailbox shows the tenant's outgoing mail
  tenancy::Tenancy* tenancy = nullptr;    // fires user_created when someone joins a tenant
  orgs::Orgs* orgs = nullptr;             // invitations to organizations (/invitation)
  bool secure_cookies = false;            // cookies marked Secure (served over TLS, e.g. behind a TLS proxy)
  orgs::TenantInvitations* invitations = nullptr;  // invitations to a workspace (/join)
};

struct Visitor {
  std::optional<accounts::Session> session;  // nullopt: nobody is signed in (or the cookie was not valid)
  std::string token;                         // the cookie's token when the session is valid
};

// The banner every page shows while a platform admin impersonates someone (empty otherwise).
std::string impersonation_banner(const Visitor& visitor);

// The value of cookie `name` in the request's Cookie header(s), or empty.
std::string cookie_value(const http::Request& request, std::string_view name);
// A form field of an application/x-www-form-urlencoded body, decoded, or nullopt.
std::optional<std::string> form_field(std::string_view body, std::string_view name);

class SessionPages {
 public:
  explicit SessionPages(AccountServices services);

  Visitor visitor(const http::Request& request, const tenancy::Tenant& tenant);
  // True for the paths this class answers (/sign-in, /sign-in/code, /sign-in/pin, /sign-out, /password/forgot,
  // /password/reset, /account/security, /register, /confirm, /invitation, /join, /org, /admin/users,
  // /admin/impersonate[/stop], /dev/mailbox).
  static bool handles(std::string_view path);
  http::Response handle(const http::Request& request, const http::RequestContext& context, const tenancy::Tenant& tenant,
                        const Visitor& visitor);
  // nullopt when the request may proceed; otherwise the 403 to answer.
  std::optional<http::Response> check_csrf(const http::Request& request, const Visitor& visitor,
                                           const tenancy::Tenant& tenant);

  AccountServices& services() { return services_; }

  // Queues an email of the tenant, from its sender, with an HTML alternative in the tenant's theme.
  Status send(const http::Request& request, const tenancy::Tenant& tenant, mail::Message message);
  Status send(const http::Request& request, const tenancy::Tenant& tenant, std::string to, std::string subject,
              std::string body);
  // The tenant's address as the visitor reached it (primary domain, the visitor's port), for links in emails.
  std::string tenant_url(const http::Request& request, const tenancy::Tenant& tenant) const;

  // Pages of signed-in people are drawn in the app layout, whose navigation TenantFront knows.
  using FrameBuilder = std::function<Frame(const http::Request&, const tenancy::Tenant&, const Visitor&)>;
  void set_frame_builder(FrameBuilder builder) { frame_builder_ = std::move(builder); }

 private:
  http::Response app_page(const http::Request& request, const tenancy::Tenant& tenant, const Visitor& visitor,
                          std::string_view title, std::string_view main,
                          http::bhttp::status status = http::bhttp::status::ok);
  http::Response sign_in_page(const http::Request& request, const tenancy::Tenant& tenant, std::string_view error,
                              std::string_view email, std::string_view next, http::bhttp::status status);
  http::Response sign_in(const http::Request& request, const http::RequestContext& context, const tenancy::Tenant& tenant);
  http::Response forgot_password(const http::Request& request, const http::RequestContext& context,
                                 const tenancy::Tenant& tenant);
  http::Response reset_password(const http::Request& request, const http::RequestContext& context,
                                const tenancy::Tenant& tenant);
  http::Response mailbox(const http::Request& request, const tenancy::Tenant& tenant);
  http::Response register_page(const http::Request& request, const http::RequestContext& context,
                               const tenancy::Tenant& tenant);
  http::Response admin_users(const http::Request& request, const http::RequestContext& context,
                             const tenancy::Tenant& tenant, const Visitor& visitor);
  http::Response impersonation(const http::Request& request, const http::RequestContext& context,
                               const tenancy::Tenant& tenant, const Visitor& visitor, bool stop);
  http::Response org_page(const http::Request& request, const http::RequestContext& context, const tenancy::Tenant& tenant,
                          const Visitor& visitor);
  http::Response invitation(const http::Request& request, const http::RequestContext& context,
                            const tenancy::Tenant& tenant, const Visitor& visitor);
  http::Response email_change_link(const http::Request& request, const http::RequestContext& context,
                                   const tenancy::Tenant& tenant);
  http::Response confirm(const http::Request& request, const http::RequestContext& context, const tenancy::Tenant& tenant);
  http::Response pin_sign_in(const http::Request& request, const http::RequestContext& context,
                             const tenancy::Tenant& tenant);
  http::Response second_factor(const http::Request& request, const http::RequestContext& context,
                               const tenancy::Tenant& tenant);
  http::Response security(const http::Request& request, const http::RequestContext& context, const tenancy::Tenant& tenant,
                          const Visitor& visitor);
  http::Response code_page(const http::Request& request, const tenancy::Tenant& tenant, std::string_view pending,
                           std::string_view next, std::string_view error, http::bhttp::status status);
  http::Response signed_in(const http::Request& request, const http::RequestContext& context, const tenancy::Tenant& tenant,
                           const accounts::Session& session, const std::string& next);
  // A page holding one anonymous form, protected by a double-submit token (cookie + hidden field).
  http::Response form_page(const http::Request& request, const tenancy::Tenant& tenant, std::string_view title,
                           std::string_view intro, std::string_view action, std::string_view fields,
                           std::string_view button, http::bhttp::status status);
  // /join?token=…: accepting an invitation to the workspace (signing in, or creating the account it names).
  http::Response join(const http::Request& request, const http::RequestContext& context, const tenancy::Tenant& tenant,
                      const Visitor& visitor);
  std::string cookie(std::string_view name, std::string_view value, std::string_view extra = "") const;
  // Who the tenant's emails come from: its support address, else the platform's no-reply address.
  std::string sender(const tenancy::Tenant& tenant) const;
  AccountServices services_;
  FrameBuilder frame_builder_;
};

}  // namespace calyx::web
