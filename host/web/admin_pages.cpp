// Administration pages: platform admins (users, impersonation) and organizations (the org page, invitations).
#include "web/sessions.hpp"

#include "web/session_forms.hpp"
#include "web/tenant_front.hpp"

#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>
#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace calyx::web {

using namespace session_forms;

http::Response SessionPages::admin_users(const http::Request& request, const http::RequestContext& context,
                                         const tenancy::Tenant& tenant, const Visitor& visitor) {
  if (!visitor.session || !visitor.session->user.platform_admin || visitor.session->impersonator_id) {
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", &tenant);
  }
  const auto& admin = visitor.session->user;
  i18n::Translator tr(page_locale(request, &tenant, &visitor));
  auto text = [&](std::string_view english) { return escape_html(tr(english)); };
  std::string notice;
  if (request.method() == http::bhttp::verb::post) {
    std::string email = form_field(request.body(), "email").value_or(""), action = form_field(request.body(), "action").value_or("");
    auto target = services_.accounts.find_user(email);
    if (!target) {
      notice = "<p role=\"alert\" class=\"flash flash-error\">" + text("No such user.") + "</p>";
    } else if (target->id == admin.id) {
      notice = "<p role=\"alert\" class=\"flash flash-error\">" + text("You cannot suspend yourself.") + "</p>";
    } else if (action == "suspend" || action == "activate") {
      auto to = action == "suspend" ? accounts::UserStatus::suspended : accounts::UserStatus::active;
      if (auto ok = services_.accounts.set_status(target->id, to); ok) {
        services_.audit.record({0, "", "admin", admin.id, std::nullopt, tenant.id, "user." + std::string(to_string(to)),
                                target->email, "{}", context.remote_address});
        notice = fmt::format("<p role=\"status\" class=\"flash flash-info\">{} is {}.</p>", escape_html(target->email), to_string(to));
      }
    }
  }
  auto users = services_.accounts.list_users();
  if (!users) return error_page(request, status::service_unavailable, "Users", users.error().message(), &tenant);
  std::string rows;
  std::string csrf = fmt::format(R"(<input type="hidden" name="_csrf" value="{}">)", visitor.session->csrf_token);
  for (const auto& u : *users) {
    bool active = u.status == accounts::UserStatus::active;
    std::string actions;
    if (u.id != admin.id) {
      actions += fmt::format(R"(<form method="post" action="/admin/users" class="inline">{}<input type="hidden" name="email" value="{}"><input type="hidden" name="action" value="{}"><button type="submit" class="btn btn-secondary">{}</button></form> )",
                             csrf, escape_html(u.email), active ? "suspend" : "activate", text(active ? "Suspend" : "Un-suspend"));
      if (active && !u.platform_admin) {
        actions += fmt::format(R"(<form method="post" action="/admin/impersonate" class="inline">{}<input type="hidden" name="email" value="{}"><button type="submit" class="btn btn-secondary">{}</button></form>)",
                               csrf, escape_html(u.email), text("Impersonate"));
      }
    }
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", escape_html(u.email),
                        escape_html(u.name), text(to_string(u.status)), u.platform_admin ? text("platform admin") : "", actions);
  }
  std::string body = fmt::format(
      R"(<h1>{}</h1>{}<div class="card overflow-x-auto"><table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table></div>)",
      text("Users"), notice, text("Email"), text("Name"), text("Status"), text("Role"), text("Actions"), rows);
  return app_page(request, tenant, visitor, tr("Users"), body);
}

http::Response SessionPages::impersonation(const http::Request& request, const http::RequestContext& context,
                                           const tenancy::Tenant& tenant, const Visitor& visitor, bool stop) {
  if (request.method() != http::bhttp::verb::post || !visitor.session) {
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", &tenant);
  }
  if (stop) {
    if (!visitor.session->impersonator_id) {
      return error_page(request, status::bad_request, "Not impersonating", "You are not impersonating anyone.", &tenant);
    }
    (void)services_.accounts.sign_out(visitor.token);
    services_.audit.record({0, "", "impersonator", visitor.session->user.id, visitor.session->impersonator_id, tenant.id,
                            "impersonation.stop", visitor.session->user.email, "{}", context.remote_address});
    auto response = redirect(request, "/admin/users");
    // Back to the admin's own session, kept aside while impersonating.
    std::string admin_token = cookie_value(request, kAdminCookie);
    response.insert(http::bhttp::field::set_cookie, cookie(kSessionCookie, admin_token, admin_token.empty() ? "; Max-Age=0" : ""));
    response.insert(http::bhttp::field::set_cookie, cookie(kAdminCookie, "", "; Max-Age=0"));
    return response;
  }
  if (visitor.session->impersonator_id) {
    return error_page(request, status::forbidden, "Not allowed", "Stop impersonating first.", &tenant);
  }
  std::string email = form_field(request.body(), "email").value_or("");
  auto session = services_.accounts.impersonate(visitor.session->user, email, tenant.id, context.remote_address,
                                                std::string(request[http::bhttp::field::user_agent]));
  if (!session) {
    return error_page(request, status::forbidden, "Not allowed", session.error().message(), &tenant);
  }
  services_.audit.record({0, "", "admin", visitor.session->user.id, std::nullopt, tenant.id, "impersonation.start",
                          session->user.email, "{}", context.remote_address});
  auto response = redirect(request, "/");
  response.insert(http::bhttp::field::set_cookie, cookie(kSessionCookie, session->token));
  response.insert(http::bhttp::field::set_cookie, cookie(kAdminCookie, visitor.token));
  return response;
}

http::Response SessionPages::org_page(const http::Request& request, const http::RequestContext& context,
                                      const tenancy::Tenant& tenant, const Visitor& visitor) {
  auto not_found = [&] {
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", &tenant);
  };
  if (!services_.orgs || !tenant.org_id) return not_found();
  if (!visitor.session) {
    return redirect(request, "/sign-in?next=/org");
  }
  const auto& user = visitor.session->user;
  i18n::Translator tr(page_locale(request, &tenant, &visitor));
  auto text = [&](std::string_view english) { return escape_html(tr(english)); };
  auto status_note = [](const std::string& html) { return R"(<p role="status" class="flash flash-info">)" + html + "</p>"; };
  auto alert_note = [](std::string_view message) {
    return fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(message));
  };
  auto role = services_.orgs->role_of(*tenant.org_id, user.id);
  bool admin = (role && *role && **role == orgs::OrgRole::admin) || user.platform_admin;
  if (!admin) return error_page(request, status::forbidden, "Not allowed", "Only the organization's admins manage it.", &tenant);
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
      return send(request, tenant, orgs::invitation_email(inv, org_name, user.name.empty() ? user.email : user.name,
                                                             tenant_url(request, tenant), sender(tenant), tenant.id));
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
        notice = status_note(text("The invitation was revoked."));
      } else {
        notice = alert_note(revoked.error().message());
      }
    }
    if (action == "invite" || action == "resend") {
      if (!outcome) {
        notice = alert_note(outcome.error().message());
      } else {
        (void)mail_invitation(*outcome);
        services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id,
                                action == "invite" ? "invitation.sent" : "invitation.resent", outcome->email, "{}",
                                context.remote_address});
        notice = status_note(text("Invitation sent to") + " " + escape_html(outcome->email) + ".");
      }
    }
  }
  std::string csrf = fmt::format(R"(<input type="hidden" name="_csrf" value="{}">)", visitor.session->csrf_token);
  std::string members, invitations;
  if (auto list = services_.orgs->members(*tenant.org_id)) {
    for (const auto& m : *list) {
      members += fmt::format("<li>{} ({})</li>", escape_html(m.email), text(m.role == orgs::OrgRole::admin ? "admin" : "member"));
    }
  }
  if (auto list = services_.orgs->invitations(*tenant.org_id)) {
    for (const auto& i : *list) {
      std::string buttons;
      if (i.status == "pending") {
        for (const char* action : {"resend", "revoke"}) {
          buttons += fmt::format(R"( <form method="post" action="/org" class="inline">{}<input type="hidden" name="id" value="{}"><input type="hidden" name="action" value="{}"><button type="submit" class="btn btn-secondary">{}</button></form>)",
                                 csrf, i.id, action, text(std::string(action) == "resend" ? "Resend" : "Revoke"));
        }
      }
      invitations += fmt::format("<li class=\"py-1\">{} ({}) — {}{}</li>", escape_html(i.email),
                                 text(i.role == orgs::OrgRole::admin ? "admin" : "member"), text(i.status), buttons);
    }
  }
  std::string body = fmt::format(
      R"(<h1>{name}</h1>{notice}<section class="card mb-6"><h2>{members_title}</h2><ul class="list-disc pl-6">{members}</ul></section>
<section class="card mb-6"><h2>{invitations_title}</h2><ul class="mb-4">{invitations}</ul>
<form method="post" action="/org" class="max-w-md">{csrf}<input type="hidden" name="action" value="invite">
<div class="field"><label for="invite-email">{email}</label><input id="invite-email" name="email" type="email" required></div>
<div class="field"><label for="invite-role">{role}</label><select id="invite-role" name="role"><option value="member">{member}</option><option value="admin">{admin}</option></select></div>
<p><button type="submit">{invite}</button></p></form></section>)",
      fmt::arg("name", escape_html(org_name)), fmt::arg("notice", notice), fmt::arg("members_title", text("Members")),
      fmt::arg("members", members), fmt::arg("invitations_title", text("Invitations")), fmt::arg("invitations", invitations),
      fmt::arg("csrf", csrf), fmt::arg("email", text("Email")), fmt::arg("role", text("Role")),
      fmt::arg("member", text("Member")), fmt::arg("admin", text("Admin")), fmt::arg("invite", text("Invite")));
  return app_page(request, tenant, visitor, org_name, body);
}

http::Response SessionPages::invitation(const http::Request& request, const http::RequestContext& context,
                                        const tenancy::Tenant& tenant, const Visitor& visitor) {
  if (!services_.orgs) return error_page(request, status::not_found, "Page not found", "There is no page at this address.", &tenant);
  bool post = request.method() == http::bhttp::verb::post;
  std::string token = post ? form_field(request.body(), "token").value_or("") : query_field(request, "token");
  auto invitation = services_.orgs->invitation(token);
  if (!invitation) return error_page(request, status_for(invitation.error()), "Invitation not valid", invitation.error().message(), &tenant);
  if (!visitor.session) {
    return redirect(request, "/sign-in?next=/invitation%3Ftoken%3D" + token);
  }
  const auto& user = visitor.session->user;
  i18n::Translator tr(page_locale(request, &tenant, &visitor));
  auto text = [&](std::string_view english) { return escape_html(tr(english)); };
  auto orgs = services_.orgs->list();
  std::string org_name = "the organization";
  for (const auto& org : orgs ? *orgs : std::vector<orgs::Org>{}) {
    if (org.id == invitation->org_id) org_name = org.name;
  }
  if (post) {
    std::string action = form_field(request.body(), "action").value_or("");
    if (action == "accept") {
      auto accepted = services_.orgs->accept(token, user.id, user.email);
      if (!accepted) return error_page(request, status_for(accepted.error()), "Invitation not accepted", accepted.error().message(), &tenant);
      services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id, "invitation.accepted",
                              invitation->email, fmt::format(R"({{"org_id":{}}})", invitation->org_id), context.remote_address});
      return card_response(request, &tenant, tr("Welcome"),
                           fmt::format("<h1>{}</h1><p>{} {} — {}.</p>", text("Welcome"), text("You joined the organization"),
                                       escape_html(org_name),
                                       text(invitation->role == orgs::OrgRole::admin ? "admin" : "member")));
    }
    if (action == "reject") {
      (void)services_.orgs->reject(token);
      services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id, "invitation.rejected",
                              invitation->email, fmt::format(R"({{"org_id":{}}})", invitation->org_id), context.remote_address});
      return card_response(request, &tenant, tr("Invitation declined"), "<h1>" + text("Invitation declined") + "</h1>");
    }
  }
  std::string body = fmt::format(
      R"(<h1>{join} {org}</h1><p class="mb-4">{email} — {invited} {org} ({role}).</p>
<div class="flex gap-3"><form method="post" action="/invitation"><input type="hidden" name="_csrf" value="{csrf}"><input type="hidden" name="token" value="{token}"><input type="hidden" name="action" value="accept"><button type="submit">{accept}</button></form>
<form method="post" action="/invitation"><input type="hidden" name="_csrf" value="{csrf}"><input type="hidden" name="token" value="{token}"><input type="hidden" name="action" value="reject"><button type="submit" class="btn btn-secondary">{decline}</button></form></div>)",
      fmt::arg("join", text("Join")), fmt::arg("org", escape_html(org_name)), fmt::arg("email", escape_html(invitation->email)),
      fmt::arg("invited", text("invited to join")),
      fmt::arg("role", text(invitation->role == orgs::OrgRole::admin ? "admin" : "member")), fmt::arg("token", escape_html(token)),
      fmt::arg("csrf", visitor.session->csrf_token), fmt::arg("accept", text("Accept")), fmt::arg("decline", text("Decline")));
  return card_response(request, &tenant, tr("Invitation"), body);
}

}  // namespace calyx::web
