// Sessions on tenant hosts: cookies, the sign-in and sign-out pages, CSRF.
#include "web/sessions.hpp"

#include "web/tenant_front.hpp"

#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>
#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <cctype>

namespace calyx::web {
namespace {

using http::bhttp::status;
using templates::escape_html;

constexpr std::string_view kSessionCookie = "calyx_session";
constexpr std::string_view kSignInCookie = "calyx_csrf";

std::string make_cookie(std::string_view name, std::string_view value, std::string_view extra, bool secure) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Lax{}{}", name, value, secure ? "; Secure" : "", extra);
}

// Only local paths may follow a sign-in (no open redirect to another site).
std::string safe_next(std::string_view next) {
  if (next.empty() || next.front() != '/' || next.starts_with("//") || next.find('\\') != std::string_view::npos) return "/";
  return std::string(next);
}

bool state_changing(const http::Request& request) {
  auto verb = request.method();
  return verb != http::bhttp::verb::get && verb != http::bhttp::verb::head && verb != http::bhttp::verb::options;
}

}  // namespace

std::string impersonation_banner(const Visitor& visitor) {
  if (!visitor.session || !visitor.session->impersonator_id) return {};
  return fmt::format(R"(<div role="alert" class="impersonation">You are impersonating {}. <form method="post" action="/admin/impersonate/stop"><input type="hidden" name="_csrf" value="{}"><button type="submit">Stop impersonating</button></form></div>)",
                     escape_html(visitor.session->user.email), visitor.session->csrf_token);
}

std::string cookie_value(const http::Request& request, std::string_view name) {
  for (auto it = request.find(http::bhttp::field::cookie); it != request.end() && it->name() == http::bhttp::field::cookie; ++it) {
    std::string_view header = it->value();
    while (!header.empty()) {
      auto end = header.find(';');
      std::string_view pair = header.substr(0, end);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
      if (end == std::string_view::npos) break;
      header.remove_prefix(end + 1);
    }
  }
  return {};
}

std::optional<std::string> form_field(std::string_view body, std::string_view name) {
  // application/x-www-form-urlencoded: pairs split by '&', '+' for spaces, %XX escapes; malformed escapes are
  // kept as they are.
  auto decode = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '+') {
        out += ' ';
      } else if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += c;
      }
    }
    return out;
  };
  while (!body.empty()) {
    auto end = body.find('&');
    std::string_view pair = body.substr(0, end);
    auto eq = pair.find('=');
    if (decode(pair.substr(0, eq)) == name) return eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return std::nullopt;
}

SessionPages::SessionPages(AccountServices services) : services_(services) {}

std::string SessionPages::cookie(std::string_view name, std::string_view value, std::string_view extra) const {
  return make_cookie(name, value, extra, services_.secure_cookies);
}

Visitor SessionPages::visitor(const http::Request& request, const tenancy::Tenant& tenant) {
  Visitor visitor;
  std::string token = cookie_value(request, kSessionCookie);
  if (token.empty()) return visitor;
  auto session = services_.accounts.session(token, tenant.id);
  if (!session) return visitor;  // forged, expired, revoked, another tenant's: nobody
  visitor.session = std::move(session.value());
  visitor.token = std::move(token);
  return visitor;
}

bool SessionPages::handles(std::string_view path) {
  return path == "/sign-in" || path == "/sign-in/code" || path == "/sign-in/pin" || path == "/sign-out" || path == "/password/forgot" ||
         path == "/password/reset" || path == "/account/security" || path == "/register" || path == "/confirm" || path == "/account/email" ||
         path == "/invitation" || path == "/org" ||
         path == "/admin/users" || path == "/admin/impersonate" || path == "/admin/impersonate/stop" ||
         path == "/dev/mailbox";
}

namespace {

// The double-submit check of anonymous forms: the hidden field matches the cookie set with the form.
bool double_submit_ok(const http::Request& request) {
  std::string sent = form_field(request.body(), "_csrf").value_or(""), expected = cookie_value(request, "calyx_csrf");
  return !sent.empty() && !expected.empty() && accounts::same_secret(sent, expected);
}

}  // namespace

std::string SessionPages::tenant_url(const http::Request& request, const tenancy::Tenant& tenant) const {
  std::string host = tenant.domains.empty() ? tenant.slug + "." + services_.base_domain : tenant.domains.front();
  std::string_view asked = request[http::bhttp::field::host];
  if (auto colon = asked.rfind(':'); colon != std::string_view::npos && asked.find(']') == std::string_view::npos) {
    host += std::string(asked.substr(colon));  // the port the visitor used
  }
  return "http://" + host;
}

http::Response SessionPages::form_page(const http::Request& request, const tenancy::Tenant& tenant, std::string_view title,
                                       std::string_view intro, std::string_view action, std::string_view fields,
                                       std::string_view button, status code) {
  std::string csrf = accounts::random_token();
  std::string body = fmt::format(R"(<h1>{0}</h1>{1}
<form method="post" action="{2}">
<input type="hidden" name="_csrf" value="{3}">{4}
<p><button type="submit">{5}</button></p>
</form>)",
                                 escape_html(title), intro, escape_html(action), csrf, fields, escape_html(button));
  auto response = http::make_response(request, code, page_html(title, tenant.name, body), "text/html; charset=utf-8");
  response.set(http::bhttp::field::set_cookie, cookie(kSignInCookie, csrf));
  response.set(http::bhttp::field::cache_control, "no-store");
  return response;
}

http::Response SessionPages::forgot_password(const http::Request& request, const http::RequestContext& context,
                                             const tenancy::Tenant& tenant) {
  constexpr std::string_view kFields =
      R"(<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" required></p>)";
  if (request.method() != http::bhttp::verb::post) {
    return form_page(request, tenant, "Forgot your password?", "<p>We will email you a link to choose a new one.</p>",
                     "/password/forgot", kFields, "Email me a link", status::ok);
  }
  if (!double_submit_ok(request)) {
    return form_page(request, tenant, "Forgot your password?", R"(<p role="alert">The form expired. Please try again.</p>)",
                     "/password/forgot", kFields, "Email me a link", status::forbidden);
  }
  std::string email = form_field(request.body(), "email").value_or("");
  auto token = services_.accounts.start_password_reset(email, tenant.id);
  if (token && *token) {
    std::string link = tenant_url(request, tenant) + "/password/reset?token=" + **token;
    auto queued = services_.outbox.enqueue(
        {0, tenant.id, accounts::normalize_email(email).value(), "no-reply@" + services_.base_domain,
         fmt::format("Reset your {} password", tenant.name),
         fmt::format("Someone asked to reset the password of your {} account.\n\nChoose a new password here (the link "
                     "works once, for an hour):\n{}\n\nIf it was not you, ignore this email.\n",
                     tenant.name, link),
         "", ""});
    if (!queued) return error_page(request, status::service_unavailable, "Try again", queued.error().message(), tenant.name);
  }
  services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "password.reset_requested", email, "{}",
                          context.remote_address});
  // The same answer whether the account exists or not.
  return http::make_response(
      request, status::ok,
      page_html("Check your email", tenant.name,
                "<h1>Check your email</h1><p>If an account exists for that address, we sent it a link to choose a new "
                "password.</p>"),
      "text/html; charset=utf-8");
}

http::Response SessionPages::reset_password(const http::Request& request, const http::RequestContext& context,
                                            const tenancy::Tenant& tenant) {
  std::string_view target = request.target();
  std::string token = request.method() == http::bhttp::verb::post
                          ? form_field(request.body(), "token").value_or("")
                          : form_field(target.substr(target.find('?') == std::string_view::npos ? target.size()
                                                                                                : target.find('?') + 1),
                                       "token")
                                .value_or("");
  std::string fields = fmt::format(
      R"(<input type="hidden" name="token" value="{}">
<p><label for="password">New password</label> <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required></p>)",
      escape_html(token));
  if (request.method() != http::bhttp::verb::post) {
    return form_page(request, tenant, "Choose a new password", "", "/password/reset", fields, "Save the password", status::ok);
  }
  if (!double_submit_ok(request)) {
    return form_page(request, tenant, "Choose a new password", R"(<p role="alert">The form expired. Please try again.</p>)",
                     "/password/reset", fields, "Save the password", status::forbidden);
  }
  auto user = services_.accounts.finish_password_reset(token, form_field(request.body(), "password").value_or(""));
  if (!user) {
    auto code = user.error().code() == Error::Code::invalid_argument ? status::unprocessable_entity : status::forbidden;
    return form_page(request, tenant, "Choose a new password",
                     fmt::format(R"(<p role="alert">{}</p>)", escape_html(user.error().message())), "/password/reset",
                     fields, "Save the password", code);
  }
  services_.audit.record({0, "", "user", user->id, std::nullopt, tenant.id, "password.reset", user->email, "{}",
                          context.remote_address});
  auto response = http::make_response(request, status::see_other, "");
  response.set(http::bhttp::field::location, "/sign-in");
  return response;
}

http::Response SessionPages::register_page(const http::Request& request, const http::RequestContext& context,
                                           const tenancy::Tenant& tenant) {
  if (!tenant.allow_signup) {
    return error_page(request, status::not_found, "Page not found", "This workspace does not take sign-ups.", tenant.name);
  }
  constexpr std::string_view kFields = R"(<p><label for="name">Name</label> <input id="name" name="name" autocomplete="name"></p>
<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="email" required></p>
<p><label for="password">Password (at least 10 characters)</label> <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required></p>)";
  auto form = [&](std::string_view intro, status code) {
    return form_page(request, tenant, fmt::format("Join {}", tenant.name), intro, "/register", kFields, "Create my account", code);
  };
  if (request.method() != http::bhttp::verb::post) return form("", status::ok);
  if (!double_submit_ok(request)) return form(R"(<p role="alert">The form expired. Please try again.</p>)", status::forbidden);
  std::string_view body = request.body();
  std::string email = form_field(body, "email").value_or("");
  auto registered = services_.accounts.register_user(
      {email, form_field(body, "name").value_or(""), form_field(body, "password").value_or(""), false, false}, tenant.id);
  std::string from = "no-reply@" + services_.base_domain;
  if (!registered && registered.error().code() == Error::Code::conflict) {
    // Taken: tell the owner of the address, not the visitor.
    (void)services_.outbox.enqueue({0, tenant.id, accounts::normalize_email(email).value(), from,
                                    fmt::format("Your {} account", tenant.name),
                                    fmt::format("Someone tried to register at {} with this address, which already has an "
                                                "account. Sign in here: {}/sign-in\n",
                                                tenant.name, tenant_url(request, tenant)),
                                    "", ""});
  } else if (!registered) {
    return form(fmt::format(R"(<p role="alert">{}</p>)", escape_html(registered.error().message())), status::unprocessable_entity);
  } else {
    const auto& user = registered->user;
    (void)services_.memberships.set_role(tenant.id, user.id, orgs::TenantRole::member);
    services_.audit.record({0, "", "user", user.id, std::nullopt, tenant.id, "user.registered", user.email, "{}",
                            context.remote_address});
    if (services_.tenancy) {
      (void)services_.tenancy->fire_hook(tenant, "user_created",
                                         fmt::format(R"({{"user_id":{},"email":"{}","tenant":"{}"}})", user.id, user.email,
                                                     tenant.slug));
    }
    (void)services_.outbox.enqueue({0, tenant.id, user.email, from, fmt::format("Confirm your {} account", tenant.name),
                                    fmt::format("Welcome to {}! Confirm your email address to sign in:\n{}/confirm?token={}\n",
                                                tenant.name, tenant_url(request, tenant), registered->confirmation_token),
                                    "", ""});
  }
  return http::make_response(request, status::ok,
                             page_html("Check your email", tenant.name,
                                       "<h1>Check your email</h1><p>We sent a link to that address. Follow it to "
                                       "confirm your account, then sign in.</p>"),
                             "text/html; charset=utf-8");
}

http::Response SessionPages::admin_users(const http::Request& request, const http::RequestContext& context,
                                         const tenancy::Tenant& tenant, const Visitor& visitor) {
  if (!visitor.session || !visitor.session->user.platform_admin || visitor.session->impersonator_id) {
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", tenant.name);
  }
  const auto& admin = visitor.session->user;
  std::string notice;
  if (request.method() == http::bhttp::verb::post) {
    std::string email = form_field(request.body(), "email").value_or(""), action = form_field(request.body(), "action").value_or("");
    auto target = services_.accounts.find_user(email);
    if (!target) {
      notice = "<p role=\"alert\">No such user.</p>";
    } else if (target->id == admin.id) {
      notice = "<p role=\"alert\">You cannot suspend yourself.</p>";
    } else if (action == "suspend" || action == "activate") {
      auto to = action == "suspend" ? accounts::UserStatus::suspended : accounts::UserStatus::active;
      if (auto ok = services_.accounts.set_status(target->id, to); ok) {
        services_.audit.record({0, "", "admin", admin.id, std::nullopt, tenant.id, "user." + std::string(to_string(to)),
                                target->email, "{}", context.remote_address});
        notice = fmt::format("<p role=\"status\">{} is {}.</p>", escape_html(target->email), to_string(to));
      }
    }
  }
  auto users = services_.accounts.list_users();
  if (!users) return error_page(request, status::service_unavailable, "Users", users.error().message(), tenant.name);
  std::string rows;
  std::string csrf = fmt::format(R"(<input type="hidden" name="_csrf" value="{}">)", visitor.session->csrf_token);
  for (const auto& u : *users) {
    bool active = u.status == accounts::UserStatus::active;
    std::string actions;
    if (u.id != admin.id) {
      actions += fmt::format(R"(<form method="post" action="/admin/users">{}<input type="hidden" name="email" value="{}"><input type="hidden" name="action" value="{}"><button type="submit">{}</button></form>)",
                             csrf, escape_html(u.email), active ? "suspend" : "activate", active ? "Suspend" : "Un-suspend");
      if (active && !u.platform_admin) {
        actions += fmt::format(R"(<form method="post" action="/admin/impersonate">{}<input type="hidden" name="email" value="{}"><button type="submit">Impersonate</button></form>)",
                               csrf, escape_html(u.email));
      }
    }
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", escape_html(u.email),
                        escape_html(u.name), to_string(u.status), u.platform_admin ? "platform admin" : "", actions);
  }
  std::string body = fmt::format(
      "<h1>Users</h1>{}<table><thead><tr><th scope=\"col\">Email</th><th scope=\"col\">Name</th><th scope=\"col\">Status</th>"
      "<th scope=\"col\">Role</th><th scope=\"col\">Actions</th></tr></thead><tbody>{}</tbody></table>",
      notice, rows);
  auto response = http::make_response(request, status::ok, page_html("Users", tenant.name, body), "text/html; charset=utf-8");
  response.set(http::bhttp::field::cache_control, "no-store");
  return response;
}

http::Response SessionPages::impersonation(const http::Request& request, const http::RequestContext& context,
                                           const tenancy::Tenant& tenant, const Visitor& visitor, bool stop) {
  if (request.method() != http::bhttp::verb::post || !visitor.session) {
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", tenant.name);
  }
  if (stop) {
    if (!visitor.session->impersonator_id) {
      return error_page(request, status::bad_request, "Not impersonating", "You are not impersonating anyone.", tenant.name);
    }
    (void)services_.accounts.sign_out(visitor.token);
    services_.audit.record({0, "", "impersonator", visitor.session->user.id, visitor.session->impersonator_id, tenant.id,
                            "impersonation.stop", visitor.session->user.email, "{}", context.remote_address});
    auto response = http::make_response(request, status::see_other, "");
    response.set(http::bhttp::field::location, "/admin/users");
    // Back to the admin's own session, kept aside while impersonating.
    std::string admin_token = cookie_value(request, "calyx_admin_session");
    response.insert(http::bhttp::field::set_cookie, cookie(kSessionCookie, admin_token, admin_token.empty() ? "; Max-Age=0" : ""));
    response.insert(http::bhttp::field::set_cookie, cookie("calyx_admin_session", "", "; Max-Age=0"));
    return response;
  }
  if (visitor.session->impersonator_id) {
    return error_page(request, status::forbidden, "Not allowed", "Stop impersonating first.", tenant.name);
  }
  std::string email = form_field(request.body(), "email").value_or("");
  auto session = services_.accounts.impersonate(visitor.session->user, email, tenant.id, context.remote_address,
                                                std::string(request[http::bhttp::field::user_agent]));
  if (!session) {
    return error_page(request, status::forbidden, "Not allowed", session.error().message(), tenant.name);
  }
  services_.audit.record({0, "", "admin", visitor.session->user.id, std::nullopt, tenant.id, "impersonation.start",
                          session->user.email, "{}", context.remote_address});
  auto response = http::make_response(request, status::see_other, "");
  response.set(http::bhttp::field::location, "/");
  response.insert(http::bhttp::field::set_cookie, cookie(kSessionCookie, session->token));
  response.insert(http::bhttp::field::set_cookie, cookie("calyx_admin_session", visitor.token));
  return response;
}

http::Response SessionPages::org_page(const http::Request& request, const http::RequestContext& context,
                                      const tenancy::Tenant& tenant, const Visitor& visitor) {
  auto not_found = [&] {
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", tenant.name);
  };
  if (!services_.orgs || !tenant.org_id) return not_found();
  if (!visitor.session) {
    auto response = http::make_response(request, status::see_other, "");
    response.set(http::bhttp::field::location, "/sign-in?next=/org");
    return response;
  }
  const auto& user = visitor.session->user;
  auto role = services_.orgs->role_of(*tenant.org_id, user.id);
  bool admin = (role && *role && **role == orgs::OrgRole::admin) || user.platform_admin;
  if (!admin) return error_page(request, status::forbidden, "Not allowed", "Only the organization's admins manage it.", tenant.name);
  auto orgs_list = services_.orgs->list();
  std::string org_name = "Organization";
  for (const auto& org : orgs_list ? *orgs_list : std::vector<orgs::Org>{}) {
    if (org.id == *tenant.org_id) org_name = org.name;
  }
  std::string notice;
  if (request.method() == http::bhttp::verb::post) {
    std::string_view body = request.body();
    std::string action = form_field(body, "action").value_or("");
    long long id = 0;
    try {
      id = std::stoll(form_field(body, "id").value_or("0"));
    } catch (const std::exception&) {
    }
    auto mail_invitation = [&](const orgs::Invitation& inv) {
      return services_.outbox.enqueue(
          {0, tenant.id, inv.email, "no-reply@" + services_.base_domain, fmt::format("You are invited to join {}", org_name),
           fmt::format("{} invites you to join {} as {}. Accept or decline within 7 days:\n{}/invitation?token={}\n",
                       user.name.empty() ? user.email : user.name, org_name, orgs::to_string(inv.role),
                       tenant_url(request, tenant), inv.token),
           "", ""});
    };
    Result<orgs::Invitation> outcome = Error::invalid_argument("unknown action");
    if (action == "invite") {
      auto role_wanted = orgs::parse_org_role(form_field(body, "role").value_or("member"));
      outcome = role_wanted ? services_.orgs->invite(*tenant.org_id, form_field(body, "email").value_or(""), *role_wanted, user.id)
                            : Result<orgs::Invitation>(role_wanted.error());
    } else if (action == "resend") {
      // Only invitations of this org.
      auto mine = services_.orgs->invitations(*tenant.org_id);
      bool ours = mine && std::any_of(mine->begin(), mine->end(), [&](const orgs::Invitation& i) { return i.id == id; });
      outcome = ours ? services_.orgs->resend(id) : Result<orgs::Invitation>(Error::not_found("no such invitation"));
    } else if (action == "revoke") {
      auto mine = services_.orgs->invitations(*tenant.org_id);
      bool ours = mine && std::any_of(mine->begin(), mine->end(), [&](const orgs::Invitation& i) { return i.id == id; });
      auto revoked = ours ? services_.orgs->revoke(id) : Status(Error::not_found("no such invitation"));
      if (revoked) {
        services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id, "invitation.revoked",
                                std::to_string(id), "{}", context.remote_address});
        notice = R"(<p role="status">The invitation was revoked.</p>)";
      } else {
        notice = fmt::format(R"(<p role="alert">{}</p>)", escape_html(revoked.error().message()));
      }
    }
    if (action == "invite" || action == "resend") {
      if (!outcome) {
        notice = fmt::format(R"(<p role="alert">{}</p>)", escape_html(outcome.error().message()));
      } else {
        (void)mail_invitation(*outcome);
        services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id,
                                action == "invite" ? "invitation.sent" : "invitation.resent", outcome->email, "{}",
                                context.remote_address});
        notice = fmt::format(R"(<p role="status">Invitation sent to {}.</p>)", escape_html(outcome->email));
      }
    }
  }
  std::string csrf = fmt::format(R"(<input type="hidden" name="_csrf" value="{}">)", visitor.session->csrf_token);
  std::string members, invitations;
  if (auto list = services_.orgs->members(*tenant.org_id)) {
    for (const auto& m : *list) members += fmt::format("<li>{} ({})</li>", escape_html(m.email), orgs::to_string(m.role));
  }
  if (auto list = services_.orgs->invitations(*tenant.org_id)) {
    for (const auto& i : *list) {
      std::string buttons;
      if (i.status == "pending") {
        for (const char* action : {"resend", "revoke"}) {
          buttons += fmt::format(R"(<form method="post" action="/org">{}<input type="hidden" name="id" value="{}"><input type="hidden" name="action" value="{}"><button type="submit">{}</button></form>)",
                                 csrf, i.id, action, std::string(action) == "resend" ? "Resend" : "Revoke");
        }
      }
      invitations += fmt::format("<li>{} ({}) — {}{}</li>", escape_html(i.email), orgs::to_string(i.role), i.status, buttons);
    }
  }
  std::string body = fmt::format(
      R"(<h1>{0}</h1>{1}<h2>Members</h2><ul>{2}</ul><h2>Invitations</h2><ul>{3}</ul>
<form method="post" action="/org">{4}<input type="hidden" name="action" value="invite">
<p><label for="invite-email">Email</label> <input id="invite-email" name="email" type="email" required></p>
<p><label for="invite-role">Role</label> <select id="invite-role" name="role"><option value="member">Member</option><option value="admin">Admin</option></select></p>
<p><button type="submit">Invite</button></p></form>)",
      escape_html(org_name), notice, members, invitations, csrf);
  auto response = http::make_response(request, status::ok, page_html(org_name, tenant.name, body), "text/html; charset=utf-8");
  response.set(http::bhttp::field::cache_control, "no-store");
  return response;
}

http::Response SessionPages::invitation(const http::Request& request, const http::RequestContext& context,
                                        const tenancy::Tenant& tenant, const Visitor& visitor) {
  if (!services_.orgs) return error_page(request, status::not_found, "Page not found", "There is no page at this address.", tenant.name);
  std::string_view target = request.target();
  auto query = target.find('?') == std::string_view::npos ? std::string_view() : target.substr(target.find('?') + 1);
  bool post = request.method() == http::bhttp::verb::post;
  std::string token = post ? form_field(request.body(), "token").value_or("") : form_field(query, "token").value_or("");
  auto invitation = services_.orgs->invitation(token);
  if (!invitation) return error_page(request, status::forbidden, "Invitation not valid", invitation.error().message(), tenant.name);
  if (!visitor.session) {
    auto response = http::make_response(request, status::see_other, "");
    response.set(http::bhttp::field::location, "/sign-in?next=/invitation%3Ftoken%3D" + token);
    return response;
  }
  const auto& user = visitor.session->user;
  auto orgs = services_.orgs->list();
  std::string org_name = "the organization";
  for (const auto& org : orgs ? *orgs : std::vector<orgs::Org>{}) {
    if (org.id == invitation->org_id) org_name = org.name;
  }
  if (post) {
    std::string action = form_field(request.body(), "action").value_or("");
    if (action == "accept") {
      auto accepted = services_.orgs->accept(token, user.id, user.email);
      if (!accepted) return error_page(request, status::forbidden, "Invitation not accepted", accepted.error().message(), tenant.name);
      services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id, "invitation.accepted",
                              invitation->email, fmt::format(R"({{"org_id":{}}})", invitation->org_id), context.remote_address});
      return http::make_response(request, status::ok,
                                 page_html("Welcome", tenant.name,
                                           fmt::format("<h1>Welcome</h1><p>You are now {} of {}.</p>",
                                                       invitation->role == orgs::OrgRole::admin ? "an admin" : "a member",
                                                       escape_html(org_name))),
                                 "text/html; charset=utf-8");
    }
    if (action == "reject") {
      (void)services_.orgs->reject(token);
      services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id, "invitation.rejected",
                              invitation->email, fmt::format(R"({{"org_id":{}}})", invitation->org_id), context.remote_address});
      return http::make_response(request, status::ok,
                                 page_html("Invitation declined", tenant.name, "<h1>Invitation declined</h1>"),
                                 "text/html; charset=utf-8");
    }
  }
  std::string body = fmt::format(
      R"(<h1>Join {0}</h1><p>{1} is invited to join {0} as {2}.</p>
<form method="post" action="/invitation"><input type="hidden" name="token" value="{3}"><input type="hidden" name="action" value="accept"><button type="submit">Accept</button></form>
<form method="post" action="/invitation"><input type="hidden" name="token" value="{3}"><input type="hidden" name="action" value="reject"><button type="submit">Decline</button></form>)",
      escape_html(org_name), escape_html(invitation->email), invitation->role == orgs::OrgRole::admin ? "an admin" : "a member",
      escape_html(token));
  auto response = http::make_response(request, status::ok, page_html("Invitation", tenant.name, body), "text/html; charset=utf-8");
  response.body() = [&] {
    // Signed-in forms carry the session's CSRF token.
    std::string html = response.body(), field = R"(<input type="hidden" name="_csrf" value=")" + visitor.session->csrf_token + R"(">)";
    for (std::size_t at = html.find("<form"); at != std::string::npos; at = html.find("<form", at + 5)) {
      auto end = html.find('>', at);
      html.insert(end + 1, field);
    }
    return html;
  }();
  response.prepare_payload();
  return response;
}

http::Response SessionPages::confirm(const http::Request& request, const http::RequestContext& context,
                                     const tenancy::Tenant& tenant) {
  std::string_view target = request.target();
  auto query = target.find('?') == std::string_view::npos ? std::string_view() : target.substr(target.find('?') + 1);
  auto user = services_.accounts.confirm_email(form_field(query, "token").value_or(""));
  if (!user) return error_page(request, status::forbidden, "Link not valid", user.error().message(), tenant.name);
  services_.audit.record({0, "", "user", user->id, std::nullopt, tenant.id, "user.email_confirmed", user->email, "{}",
                          context.remote_address});
  return http::make_response(request, status::ok,
                             page_html("Email confirmed", tenant.name,
                                       R"(<h1>Email confirmed</h1><p>Your account is ready. <a href="/sign-in">Sign in</a>.</p>)"),
                             "text/html; charset=utf-8");
}

http::Response SessionPages::mailbox(const http::Request& request, const tenancy::Tenant& tenant) {
  if (!services_.dev_mode) return error_page(request, status::not_found, "Page not found", "There is no page at this address.", tenant.name);
  auto messages = services_.outbox.latest(50);
  if (!messages) return error_page(request, status::service_unavailable, "Mailbox", messages.error().message(), tenant.name);
  std::string body = "<h1>Development mailbox</h1><p>Mail this workspace sent (development mode only).</p>";
  for (const auto& m : *messages) {
    if (m.tenant_id != tenant.id) continue;
    // Links become clickable; everything else stays escaped text.
    std::string text = escape_html(m.body), linked;
    for (std::size_t at = 0; at < text.size();) {
      auto start = text.find("http", at);
      if (start == std::string::npos) {
        linked += text.substr(at);
        break;
      }
      auto end = text.find_first_of(" \n", start);
      std::string url = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      linked += text.substr(at, start - at) + fmt::format(R"(<a href="{0}">{0}</a>)", url);
      at = end == std::string::npos ? text.size() : end;
    }
    body += fmt::format(R"(<article><h2>{}</h2><p>To {} · {}</p><pre>{}</pre></article>)", escape_html(m.subject),
                        escape_html(m.to), escape_html(m.created_at), linked);
  }
  return http::make_response(request, status::ok, page_html("Mailbox", tenant.name, body), "text/html; charset=utf-8");
}

std::optional<http::Response> SessionPages::check_csrf(const http::Request& request, const Visitor& visitor,
                                                        const tenancy::Tenant& tenant) {
  if (!state_changing(request) || !visitor.session) return std::nullopt;
  std::string sent(request["X-CSRF-Token"]);
  if (sent.empty()) sent = form_field(request.body(), "_csrf").value_or("");
  if (!sent.empty() && accounts::same_secret(sent, visitor.session->csrf_token)) return std::nullopt;
  return error_page(request, status::forbidden, "Request refused",
                    "This form has expired or did not come from this site. Reload the page and try again.", tenant.name);
}

http::Response SessionPages::handle(const http::Request& request, const http::RequestContext& context,
                                    const tenancy::Tenant& tenant, const Visitor& visitor) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/sign-out") {
    if (request.method() != http::bhttp::verb::post) {
      return error_page(request, status::method_not_allowed, "Not allowed", "Sign out with the button.", tenant.name);
    }
    if (visitor.session) {
      (void)services_.accounts.sign_out(visitor.token);
      services_.audit.record({0, "", "user", visitor.session->user.id, visitor.session->impersonator_id, tenant.id,
                              "session.sign_out", visitor.session->user.email, "{}", context.remote_address});
    }
    auto response = http::make_response(request, status::see_other, "");
    response.set(http::bhttp::field::location, "/sign-in");
    response.set(http::bhttp::field::set_cookie, cookie(kSessionCookie, "", "; Max-Age=0"));
    return response;
  }
  if (path == "/password/forgot") return forgot_password(request, context, tenant);
  if (path == "/password/reset") return reset_password(request, context, tenant);
  if (path == "/dev/mailbox") return mailbox(request, tenant);
  if (path == "/register") return register_page(request, context, tenant);
  if (path == "/admin/users") return admin_users(request, context, tenant, visitor);
  if (path == "/admin/impersonate") return impersonation(request, context, tenant, visitor, false);
  if (path == "/admin/impersonate/stop") return impersonation(request, context, tenant, visitor, true);
  if (path == "/confirm") return confirm(request, context, tenant);
  if (path == "/account/email") {
    std::string_view query = target.find('?') == std::string_view::npos ? std::string_view() : target.substr(target.find('?') + 1);
    auto user = services_.accounts.finish_email_change(form_field(query, "token").value_or(""));
    if (!user) return error_page(request, status::forbidden, "Link not valid", user.error().message(), tenant.name);
    services_.audit.record({0, "", "user", user->id, std::nullopt, tenant.id, "account.email_changed", user->email, "{}",
                            context.remote_address});
    return http::make_response(request, status::ok,
                               page_html("Email changed", tenant.name,
                                         fmt::format("<h1>Email changed</h1><p>Your account now uses {}.</p>",
                                                     escape_html(user->email))),
                               "text/html; charset=utf-8");
  }
  if (path == "/invitation") return invitation(request, context, tenant, visitor);
  if (path == "/org") return org_page(request, context, tenant, visitor);
  if (path == "/sign-in/code") return second_factor(request, context, tenant);
  if (path == "/sign-in/pin") return pin_sign_in(request, context, tenant);
  if (path == "/account/security") return security(request, context, tenant, visitor);
  if (request.method() == http::bhttp::verb::post) return sign_in(request, context, tenant);
  if (request.method() != http::bhttp::verb::get && request.method() != http::bhttp::verb::head) {
    return error_page(request, status::method_not_allowed, "Not allowed", "Use the sign-in form.", tenant.name);
  }
  std::string next;
  if (auto q = target.find('?'); q != std::string_view::npos) next = form_field(target.substr(q + 1), "next").value_or("");
  return sign_in_page(request, tenant, "", "", safe_next(next), status::ok);
}

http::Response SessionPages::sign_in_page(const http::Request& request, const tenancy::Tenant& tenant,
                                          std::string_view error, std::string_view email, std::string_view next,
                                          status code) {
  std::string csrf = accounts::random_token();
  std::string body = fmt::format(
      R"(<h1>Sign in to {0}</h1>{1}
<form method="post" action="/sign-in">
<input type="hidden" name="_csrf" value="{2}"><input type="hidden" name="next" value="{3}">
<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" required value="{4}"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
<p><a href="/password/forgot">Forgot your password?</a> · <a href="/sign-in/pin">Email me a sign-in code</a></p>)",
      escape_html(tenant.name), error.empty() ? "" : fmt::format(R"(<p role="alert">{}</p>)", escape_html(error)), csrf,
      escape_html(next), escape_html(email));
  auto response = error_page(request, code, "Sign in", "", tenant.name);
  response.body() = page_html("Sign in", tenant.name, body);
  response.set(http::bhttp::field::set_cookie, cookie(kSignInCookie, csrf));
  response.set(http::bhttp::field::cache_control, "no-store");
  response.prepare_payload();
  return response;
}

http::Response SessionPages::sign_in(const http::Request& request, const http::RequestContext& context,
                                     const tenancy::Tenant& tenant) {
  std::string_view body = request.body();
  std::string email = form_field(body, "email").value_or(""), next = safe_next(form_field(body, "next").value_or("/"));
  // Double submit: the form's token must match the cookie set with the form (login CSRF).
  std::string sent = form_field(body, "_csrf").value_or(""), expected = cookie_value(request, kSignInCookie);
  if (sent.empty() || expected.empty() || !accounts::same_secret(sent, expected)) {
    return sign_in_page(request, tenant, "The form expired. Please sign in again.", email, next, status::forbidden);
  }
  accounts::SignIn attempt{email, form_field(body, "password").value_or(""), context.remote_address,
                           std::string(request[http::bhttp::field::user_agent]), tenant.id};
  auto session = services_.accounts.sign_in(attempt);
  if (!session) {
    services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "session.sign_in_failed", email,
                            fmt::format(R"({{"reason":"{}"}})", session.error().code() == Error::Code::unavailable
                                                                    ? "throttled" : "credentials"),
                            context.remote_address});
    auto code = session.error().code() == Error::Code::unavailable ? status::too_many_requests : status::unauthorized;
    return sign_in_page(request, tenant, session.error().message(), email, next, code);
  }
  if (!session->second_factor.empty()) return code_page(request, tenant, session->second_factor, next, "", status::ok);
  return signed_in(request, context, tenant, *session, next);
}

http::Response SessionPages::signed_in(const http::Request& request, const http::RequestContext& context,
                                       const tenancy::Tenant& tenant, const accounts::Session& session,
                                       const std::string& next) {
  services_.audit.record({0, "", "user", session.user.id, std::nullopt, tenant.id, "session.sign_in", session.user.email,
                          "{}", context.remote_address});
  auto response = http::make_response(request, status::see_other, "");
  response.set(http::bhttp::field::location, next);
  response.insert(http::bhttp::field::set_cookie, cookie(kSessionCookie, session.token));
  response.insert(http::bhttp::field::set_cookie, cookie(kSignInCookie, "", "; Max-Age=0"));
  return response;
}

http::Response SessionPages::code_page(const http::Request& request, const tenancy::Tenant& tenant, std::string_view pending,
                                       std::string_view next, std::string_view error, status code) {
  std::string fields = fmt::format(
      R"(<input type="hidden" name="pending" value="{}"><input type="hidden" name="next" value="{}">
<p><label for="code">Code from your authenticator app, or a backup code</label> <input id="code" name="code" autocomplete="one-time-code" required></p>)",
      escape_html(pending), escape_html(next));
  std::string intro = error.empty() ? std::string("<p>Your account has two-factor sign-in.</p>")
                                    : fmt::format(R"(<p role="alert">{}</p>)", escape_html(error));
  return form_page(request, tenant, "Enter your code", intro, "/sign-in/code", fields, "Sign in", code);
}

http::Response SessionPages::pin_sign_in(const http::Request& request, const http::RequestContext& context,
                                         const tenancy::Tenant& tenant) {
  std::string_view body = request.body();
  std::string email = form_field(body, "email").value_or("");
  std::string email_field = fmt::format(
      R"(<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" required value="{}"></p>)",
      escape_html(email));
  auto ask_page = [&](std::string_view intro, status code) {
    return form_page(request, tenant, "Sign in with a code", intro, "/sign-in/pin",
                     email_field + R"(<input type="hidden" name="action" value="send">)", "Email me a code", code);
  };
  auto code_page = [&](std::string_view intro, status code) {
    return form_page(request, tenant, "Enter the emailed code", intro, "/sign-in/pin",
                     email_field + R"(<input type="hidden" name="action" value="verify">
<p><label for="pin">6-digit code</label> <input id="pin" name="pin" inputmode="numeric" autocomplete="one-time-code" required></p>)",
                     "Sign in", code);
  };
  if (request.method() != http::bhttp::verb::post) return ask_page("<p>We will email you a 6-digit code.</p>", status::ok);
  if (!double_submit_ok(request)) return ask_page(R"(<p role="alert">The form expired. Please try again.</p>)", status::forbidden);
  if (form_field(body, "action").value_or("") == "send") {
    auto pin = services_.accounts.start_pin_sign_in(email, tenant.id);
    if (pin && *pin) {
      (void)services_.outbox.enqueue({0, tenant.id, accounts::normalize_email(email).value(), "no-reply@" + services_.base_domain,
                                      fmt::format("Your {} sign-in code", tenant.name),
                                      fmt::format("Your code to sign in to {} is {}. It works once, for 10 minutes.\n"
                                                  "If you did not ask for it, ignore this email.\n",
                                                  tenant.name, **pin),
                                      "", ""});
    }
    // The same answer whether the account exists or not.
    return code_page("<p>If an account exists for that address, we emailed it a code.</p>", status::ok);
  }
  auto session = services_.accounts.finish_pin_sign_in(email, form_field(body, "pin").value_or(""), tenant.id,
                                                       context.remote_address,
                                                       std::string(request[http::bhttp::field::user_agent]));
  if (!session) {
    services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "session.sign_in_failed", email,
                            R"({"reason":"pin"})", context.remote_address});
    auto code = session.error().code() == Error::Code::unavailable ? status::too_many_requests : status::unauthorized;
    return code_page(fmt::format(R"(<p role="alert">{}</p>)", escape_html(session.error().message())), code);
  }
  if (!session->second_factor.empty()) return this->code_page(request, tenant, session->second_factor, "/", "", status::ok);
  return signed_in(request, context, tenant, *session, "/");
}

http::Response SessionPages::second_factor(const http::Request& request, const http::RequestContext& context,
                                           const tenancy::Tenant& tenant) {
  if (request.method() != http::bhttp::verb::post) {
    auto response = http::make_response(request, status::see_other, "");
    response.set(http::bhttp::field::location, "/sign-in");
    return response;
  }
  std::string_view body = request.body();
  std::string pending = form_field(body, "pending").value_or(""), next = safe_next(form_field(body, "next").value_or("/"));
  if (!double_submit_ok(request)) return code_page(request, tenant, pending, next, "The form expired.", status::forbidden);
  auto session = services_.accounts.complete_sign_in(pending, form_field(body, "code").value_or(""), context.remote_address,
                                                     std::string(request[http::bhttp::field::user_agent]));
  if (!session) {
    services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "session.second_factor_failed", "", "{}",
                            context.remote_address});
    auto code = session.error().code() == Error::Code::unavailable ? status::too_many_requests : status::unauthorized;
    return code_page(request, tenant, pending, next, session.error().message(), code);
  }
  return signed_in(request, context, tenant, *session, next);
}

http::Response SessionPages::security(const http::Request& request, const http::RequestContext& context,
                                      const tenancy::Tenant& tenant, const Visitor& visitor) {
  if (!visitor.session) {
    auto response = http::make_response(request, status::see_other, "");
    response.set(http::bhttp::field::location, "/sign-in?next=/account/security");
    return response;
  }
  const auto& user = visitor.session->user;
  auto csrf = fmt::format(R"(<input type="hidden" name="_csrf" value="{}">)", visitor.session->csrf_token);
  auto render = [&](std::string body, status code = status::ok) {
    auto response = http::make_response(request, code, page_html("Security", tenant.name, "<h1>Security</h1>" + body),
                                        "text/html; charset=utf-8");
    response.set(http::bhttp::field::cache_control, "no-store");
    return response;
  };
  auto code_form = [&](std::string_view action, std::string_view button) {
    return fmt::format(R"(<form method="post" action="/account/security">{}<input type="hidden" name="action" value="{}">
<p><label for="code">Code from the app</label> <input id="code" name="code" autocomplete="one-time-code" required></p>
<p><button type="submit">{}</button></p></form>)",
                       csrf, action, button);
  };
  auto audit = [&](std::string_view action) {
    services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id, std::string(action),
                            user.email, "{}", context.remote_address});
  };
  std::string action = request.method() == http::bhttp::verb::post ? form_field(request.body(), "action").value_or("") : "";
  std::string code = form_field(request.body(), "code").value_or("");
  if (action == "begin") {
    auto secret = services_.accounts.begin_totp(user.id);
    if (!secret) return render(fmt::format(R"(<p role="alert">{}</p>)", escape_html(secret.error().message())), status::conflict);
    return render(fmt::format(
        R"(<p>Add this account to your authenticator app with the key <code>{}</code> (or this link: <code>{}</code>), then enter the code it shows.</p>{})",
        accounts::base32_encode(*secret), escape_html(accounts::totp_uri(*secret, tenant.name, user.email)),
        code_form("enable", "Turn on two-factor sign-in")));
  }
  if (action == "enable") {
    auto codes = services_.accounts.enable_totp(user.id, code);
    if (!codes) {
      return render(fmt::format(R"(<p role="alert">{}</p>{})", escape_html(codes.error().message()),
                                code_form("enable", "Turn on two-factor sign-in")),
                    status::unprocessable_entity);
    }
    audit("account.two_factor_enabled");
    std::string list;
    for (const auto& backup : *codes) list += "<li><code>" + backup + "</code></li>";
    return render("<p>Two-factor sign-in is on. Keep these backup codes somewhere safe: each works once, and they are "
                  "not shown again.</p><ul>" + list + "</ul>");
  }
  if (action == "disable") {
    if (auto ok = services_.accounts.disable_totp(user.id, code); !ok) {
      return render(fmt::format(R"(<p role="alert">{}</p>{})", escape_html(ok.error().message()),
                                code_form("disable", "Turn off two-factor sign-in")),
                    status::unprocessable_entity);
    }
    audit("account.two_factor_disabled");
    return render("<p>Two-factor sign-in is off.</p>");
  }
  auto enabled = services_.accounts.totp_enabled(user.id);
  bool on = enabled && *enabled;
  if (action == "end_others") {
    (void)services_.accounts.end_sessions(user.id, visitor.token);
    audit("account.other_sessions_ended");
  }
  std::string notice;
  if (action == "password") {
    auto changed = services_.accounts.change_password(user.id, form_field(request.body(), "current").value_or(""),
                                                      form_field(request.body(), "password").value_or(""), visitor.token);
    if (!changed) {
      notice = fmt::format(R"(<p role="alert">{}</p>)", escape_html(changed.error().message()));
    } else {
      audit("account.password_changed");
      notice = R"(<p role="status">Your password was changed; your other sessions were signed out.</p>)";
    }
  }
  if (action == "email") {
    std::string new_email = form_field(request.body(), "email").value_or("");
    auto token = services_.accounts.start_email_change(user.id, form_field(request.body(), "current").value_or(""),
                                                       new_email, tenant.id);
    if (!token) {
      notice = fmt::format(R"(<p role="alert">{}</p>)", escape_html(token.error().message()));
    } else {
      auto to = accounts::normalize_email(new_email).value();
      (void)services_.outbox.enqueue({0, tenant.id, to, "no-reply@" + services_.base_domain,
                                      fmt::format("Confirm your new {} email", tenant.name),
                                      fmt::format("Follow this link to use this address for your {} account:\n{}/account/email?token={}\n",
                                                  tenant.name, tenant_url(request, tenant), *token),
                                      "", ""});
      (void)services_.outbox.enqueue({0, tenant.id, user.email, "no-reply@" + services_.base_domain,
                                      fmt::format("Your {} email is being changed", tenant.name),
                                      fmt::format("Someone signed in as you asked to change your email to {}. If it was "
                                                  "not you, change your password now.\n",
                                                  to),
                                      "", ""});
      audit("account.email_change_requested");
      notice = R"(<p role="status">We sent a link to the new address. Follow it to finish the change.</p>)";
    }
  }
  // The user's sessions, this one marked; the others can be ended.
  std::string sessions_list;
  if (auto sessions = services_.accounts.sessions_of(user.id)) {
    std::string mine = accounts::token_digest(visitor.token);
    for (const auto& s : *sessions) {
      sessions_list += fmt::format("<li>{} · {} · since {}{}</li>", escape_html(s.ip.empty() ? "unknown address" : s.ip),
                                   escape_html(s.user_agent.empty() ? "unknown browser" : s.user_agent),
                                   escape_html(s.created_at), s.token_hash == mine ? " (this one)" : "");
    }
  }
  std::string account_forms = fmt::format(
      R"(<h2>Sessions</h2><ul>{0}</ul>
<form method="post" action="/account/security">{1}<input type="hidden" name="action" value="end_others"><button type="submit">Sign out my other sessions</button></form>
<h2>Password</h2><form method="post" action="/account/security">{1}<input type="hidden" name="action" value="password">
<p><label for="current">Current password</label> <input id="current" name="current" type="password" autocomplete="current-password" required></p>
<p><label for="new-password">New password</label> <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></p>
<p><button type="submit">Change the password</button></p></form>
<h2>Email</h2><form method="post" action="/account/security">{1}<input type="hidden" name="action" value="email">
<p><label for="new-email">New email</label> <input id="new-email" name="email" type="email" autocomplete="email" required></p>
<p><label for="email-current">Current password</label> <input id="email-current" name="current" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Change the email</button></p></form>)",
      sessions_list, csrf);
  std::string two_factor =
      on ? "<h2>Two-factor sign-in</h2><p>Two-factor sign-in is <strong>on</strong>.</p>" +
               code_form("disable", "Turn off two-factor sign-in")
         : fmt::format(R"(<h2>Two-factor sign-in</h2><p>Two-factor sign-in is <strong>off</strong>.</p><form method="post" action="/account/security">{}<input type="hidden" name="action" value="begin"><p><button type="submit">Set up two-factor sign-in</button></p></form>)",
                       csrf);
  return render(notice + two_factor + account_forms);
}

}  // namespace calyx::web
