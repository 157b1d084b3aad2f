// Tenant admin pages: members, modules, domains, settings; the language page; shared helpers.
#include "web/admin_ui.hpp"

#include "web/admin_html.hpp"
#include "web/session_forms.hpp"

#include <calyx/i18n/i18n.hpp>
#include <calyx/templates/template.hpp>
#include <calyx/text.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace calyx::web {

using http::bhttp::status;
using templates::escape_html;
using namespace admin_html;

namespace admin_html {

std::string csrf_field(const AdminRequest& admin) {
  return fmt::format(R"(<input type="hidden" name="_csrf" value="{}">)", escape_html(admin.visitor.session->csrf_token));
}

std::string alert(std::string_view message) {
  if (message.empty()) return {};
  return fmt::format(R"(<div role="alert" class="flash flash-error" data-error>{}</div>)", escape_html(message));
}

std::vector<std::string> form_values(std::string_view body, std::string_view name) {
  std::vector<std::string> values;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    if (auto value = form_field(pair, name)) values.push_back(std::move(*value));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return values;
}

std::string field(std::string_view body, std::string_view name) { return form_field(body, name).value_or(""); }

}  // namespace admin_html

AdminPages::AdminPages(AdminServices services) : services_(std::move(services)) {}

bool AdminPages::handles(std::string_view path) {
  return path == "/admin/members" || path == "/admin/modules" || path == "/admin/theme" || path == "/admin/theme/upload" ||
         path == "/admin/domains" || path == "/admin/settings" || path == "/account/language" ||
         path == "/platform/tenants" || path == "/platform/modules" || path == "/platform/audit";
}

bool AdminPages::acts_as_owner(const authz::Subject& who) {
  return who.platform_admin || (who.membership && who.membership->role == orgs::TenantRole::owner);
}

bool AdminPages::manages_tenant(const authz::Subject& who) {
  if (who.platform_admin) return true;
  return who.membership && (who.membership->role == orgs::TenantRole::owner || who.membership->role == orgs::TenantRole::admin);
}

http::Response AdminPages::handle(const http::Request& request, const http::RequestContext& context,
                                  const AdminRequest& admin) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  auto verb = request.method();
  if (verb != http::bhttp::verb::get && verb != http::bhttp::verb::head && verb != http::bhttp::verb::post) {
    return error_page(request, status::method_not_allowed, "Not allowed", "Use the page's forms.", &admin.tenant);
  }
  if (path == "/account/language") return language(request, context, admin);
  if (path.starts_with("/platform/")) {
    if (!admin.who.platform_admin) {
      return error_page(request, status::forbidden, "Not allowed", "Only platform administrators may open this page.",
                        &admin.tenant);
    }
    if (path == "/platform/tenants") return platform_tenants(request, context, admin);
    if (path == "/platform/modules") return platform_modules(request, admin);
    return platform_audit(request, admin);
  }
  if (!manages_tenant(admin.who)) {
    return error_page(request, status::forbidden, "Not allowed", "Only the workspace's owners and admins may manage it.",
                      &admin.tenant);
  }
  if (path == "/admin/members") return members(request, context, admin);
  if (path == "/admin/modules") return modules(request, context, admin);
  if (path == "/admin/theme") return theme(request, context, admin);
  if (path == "/admin/theme/upload") return theme_upload(request, context, admin);
  if (path == "/admin/domains") return domains(request, context, admin);
  return settings(request, context, admin);
}

http::Response AdminPages::done(const http::Request& request, const http::RequestContext& context,
                                const AdminRequest& admin, std::string_view action, std::string_view target,
                                std::string_view location, Flash flash) {
  const auto& session = *admin.visitor.session;
  services_.audit.record({0, "", admin.who.platform_admin && !admin.who.membership ? "admin" : "user", session.user.id,
                          session.impersonator_id, admin.tenant.id, std::string(action), std::string(target), "{}",
                          context.remote_address});
  if (services_.refresh) services_.refresh();
  auto response = redirect(request, location);
  set_flash(response, flash, services_.secure_cookies);
  return response;
}

http::Response AdminPages::refused(const http::Request& request, const AdminRequest& admin, std::string_view title,
                                   std::string_view message) {
  return page_response(request, status::unprocessable_entity, admin.frame, Layout::app, admin.frame.tr(title),
                       fmt::format("<h1>{}</h1>{}<p><a href=\"{}\">{}</a></p>", escape_html(admin.frame.tr(title)),
                                   alert(message), escape_html(admin.frame.path), escape_html(admin.frame.tr("Back"))));
}

// ---- members ---------------------------------------------------------------------------------------------

http::Response AdminPages::members(const http::Request& request, const http::RequestContext& context,
                                   const AdminRequest& admin) {
  const auto& tenant = admin.tenant;
  const auto& tr = admin.frame.tr;
  auto& memberships = services_.memberships;
  // Only owners (and platform admins) make owners or change an owner's membership; admins manage the rest.
  bool acts_as_owner = AdminPages::acts_as_owner(admin.who);
  auto owner_only = [&] { return refused(request, admin, "Members", tr("Only an owner may make owners or change an owner's membership.")); };
  if (request.method() == http::bhttp::verb::post) {
    std::string_view body = request.body();
    std::string action = field(body, "action");
    if (action == "add") {
      // Adding an existing account directly would tell a tenant admin who has an account on the platform:
      // that is for platform admins; everyone else invites by email.
      if (!admin.who.platform_admin) return refused(request, admin, "Members", tr("Invite people by email."));
      auto user = services_.accounts.find_user(field(body, "email"));
      if (!user) {
        return refused(request, admin, "Members",
                       tr("There is no account with this email: invite them by email instead."));
      }
      auto role = orgs::parse_tenant_role(field(body, "role"));
      if (!role) return refused(request, admin, "Members", role.error().message());
      if (*role == orgs::TenantRole::owner && !acts_as_owner) return owner_only();
      if (auto existing = memberships.of(tenant.id, user->id); existing && *existing) {
        return refused(request, admin, "Members", tr("This person is already a member."));
      }
      if (auto ok = memberships.set_role(tenant.id, user->id, *role); !ok) return refused(request, admin, "Members", ok.error().message());
      (void)services_.tenancy.user_joined(tenant, user->id, user->email);
      return done(request, context, admin, "member.added", user->email, "/admin/members", Flash::member_updated);
    }
    if (action == "invite" || action == "revoke_invitation") return invitation(request, context, admin, action);
    long long user_id = 0;
    try {
      user_id = std::stoll(field(body, "user_id"));
    } catch (const std::exception&) {
      return refused(request, admin, "Members", tr("The form named no member."));
    }
    auto current = memberships.of(tenant.id, user_id);
    if (!current || !*current) return refused(request, admin, "Members", tr("This person is not a member."));
    if ((*current)->role == orgs::TenantRole::owner && !acts_as_owner) return owner_only();
    if (action == "remove") {
      if (auto ok = memberships.remove(tenant.id, user_id); !ok) return refused(request, admin, "Members", ok.error().message());
      return done(request, context, admin, "member.removed", std::to_string(user_id), "/admin/members", Flash::member_removed);
    }
    if (action == "role") {
      auto role = orgs::parse_tenant_role(field(body, "role"));
      if (!role) return refused(request, admin, "Members", role.error().message());
      if (*role == orgs::TenantRole::owner && !acts_as_owner) return owner_only();
      if (auto ok = memberships.set_role(tenant.id, user_id, *role); !ok) return refused(request, admin, "Members", ok.error().message());
      return done(request, context, admin, "member.role_changed", std::to_string(user_id), "/admin/members",
                  Flash::member_updated);
    }
    if (action == "module_roles") {
      // The boxes ticked are the roles the member keeps; only roles of this tenant's modules are touched.
      auto wanted = form_values(body, "module_role");
      for (const auto& code : tenant.modules) {
        const auto* module = services_.tenancy.registry().find(code);
        if (!module) continue;
        for (const auto& role : module->roles) {
          bool want = std::find(wanted.begin(), wanted.end(), role.code) != wanted.end();
          bool has = std::find((*current)->module_roles.begin(), (*current)->module_roles.end(), role.code) !=
                     (*current)->module_roles.end();
          Status ok = Ok{};
          if (want && !has) ok = memberships.grant_module_role(tenant.id, user_id, role.code);
          if (!want && has) ok = memberships.revoke_module_role(tenant.id, user_id, role.code);
          if (!ok) return refused(request, admin, "Members", ok.error().message());
        }
      }
      return done(request, context, admin, "member.module_roles_changed", std::to_string(user_id), "/admin/members",
                  Flash::member_updated);
    }
    return refused(request, admin, "Members", tr("The form asked for nothing this page does."));
  }

  auto list = memberships.members(tenant.id);
  if (!list) return error_page(request, status::service_unavailable, "Members", list.error().message(), &tenant);
  std::vector<const modules::Role*> roles;
  for (const auto& code : tenant.modules) {
    if (const auto* module = services_.tenancy.registry().find(code)) {
      for (const auto& role : module->roles) roles.push_back(&role);
    }
  }
  std::string rows;
  for (const auto& member : *list) {
    std::string role_options;
    for (auto role : {orgs::TenantRole::owner, orgs::TenantRole::admin, orgs::TenantRole::member}) {
      role_options += fmt::format(R"(<option value="{0}"{1}>{2}</option>)", orgs::to_string(role),
                                  role == member.membership.role ? " selected" : "", escape_html(tr(role_label(role))));
    }
    std::string boxes;
    for (const auto* role : roles) {
      bool has = std::find(member.membership.module_roles.begin(), member.membership.module_roles.end(), role->code) !=
                 member.membership.module_roles.end();
      boxes += fmt::format(
          R"(<label class="flex items-center gap-2 font-normal"><input type="checkbox" name="module_role" value="{0}"{1}> {2} <code class="text-xs">{0}</code></label>)",
          escape_html(role->code), has ? " checked" : "", escape_html(role->name));
    }
    std::string who = escape_html(member.name.empty() ? member.email : member.name + " · " + member.email);
    rows += fmt::format(
        R"(<tr data-member="{email}"><td>{who}</td>
<td><form method="post" action="/admin/members" class="flex gap-2">{csrf}<input type="hidden" name="action" value="role"><input type="hidden" name="user_id" value="{id}"><label class="sr-only" for="role-{id}">{role_label}</label><select id="role-{id}" name="role">{options}</select><button type="submit" class="btn btn-secondary">{save}</button></form></td>
<td><form method="post" action="/admin/members" class="space-y-1">{csrf}<input type="hidden" name="action" value="module_roles"><input type="hidden" name="user_id" value="{id}"><fieldset><legend class="sr-only">{module_roles}</legend>{boxes}</fieldset><button type="submit" class="btn btn-secondary">{save}</button></form></td>
<td><form method="post" action="/admin/members">{csrf}<input type="hidden" name="action" value="remove"><input type="hidden" name="user_id" value="{id}"><button type="submit" class="btn btn-danger">{remove}</button></form></td></tr>)",
        fmt::arg("email", escape_html(member.email)), fmt::arg("who", who), fmt::arg("csrf", csrf_field(admin)),
        fmt::arg("id", member.user_id), fmt::arg("role_label", escape_html(tr("Role"))), fmt::arg("options", role_options),
        fmt::arg("save", escape_html(tr("Save"))), fmt::arg("module_roles", escape_html(tr("Module roles"))),
        fmt::arg("boxes", boxes.empty() ? escape_html(tr("No module roles")) : boxes),
        fmt::arg("remove", escape_html(tr("Remove"))));
  }
  std::string invitations;
  if (services_.invitations) {
    std::string pending;
    if (auto list = services_.invitations->pending(tenant.id)) {
      for (const auto& inv : *list) {
        pending += fmt::format(
            R"(<li class="flex items-center justify-between gap-3 py-1" data-invitation="{0}"><span>{0} · {1}</span><form method="post" action="/admin/members">{2}<input type="hidden" name="action" value="revoke_invitation"><input type="hidden" name="invitation" value="{3}"><button type="submit" class="btn btn-secondary">{4}</button></form></li>)",
            escape_html(inv.email), escape_html(tr(role_label(inv.role))), csrf_field(admin), inv.id, escape_html(tr("Revoke")));
      }
    }
    invitations = fmt::format(
        R"(<section class="card max-w-xl mb-6"><h2>{title}</h2>{pending}<form method="post" action="/admin/members" class="mt-3">{csrf}<input type="hidden" name="action" value="invite">
<div class="field"><label for="invite-email">{email}</label><input id="invite-email" name="email" type="email" required autocomplete="off"></div>
<div class="field"><label for="invite-role">{role}</label><select id="invite-role" name="role"><option value="member">{member}</option><option value="admin">{admin}</option></select></div>
<button type="submit" class="btn">{send}</button></form></section>)",
        fmt::arg("title", escape_html(tr("Invitations"))),
        fmt::arg("pending", pending.empty() ? "" : R"(<ul class="mb-3 divide-y divide-gray-200">)" + pending + "</ul>"),
        fmt::arg("csrf", csrf_field(admin)), fmt::arg("email", escape_html(tr("Email"))), fmt::arg("role", escape_html(tr("Role"))),
        fmt::arg("member", escape_html(tr("Member"))), fmt::arg("admin", escape_html(tr("Admin"))),
        fmt::arg("send", escape_html(tr("Send the invitation"))));
  }
  std::string add_section;
  if (admin.who.platform_admin) {
    add_section = fmt::format(
        R"(<section class="card max-w-xl"><h2>{add}</h2>
<form method="post" action="/admin/members">{csrf}<input type="hidden" name="action" value="add">
<div class="field"><label for="member-email">{email}</label><input id="member-email" name="email" type="email" required autocomplete="off"></div>
<div class="field"><label for="member-role">{role}</label><select id="member-role" name="role"><option value="member">{member}</option><option value="admin">{admin}</option><option value="owner">{owner}</option></select></div>
<p class="hint mb-3">{hint}</p>
<button type="submit" class="btn">{add}</button></form></section>)",
        fmt::arg("add", escape_html(tr("Add a member"))), fmt::arg("csrf", csrf_field(admin)),
        fmt::arg("email", escape_html(tr("Email"))), fmt::arg("role", escape_html(tr("Role"))),
        fmt::arg("member", escape_html(tr("Member"))), fmt::arg("admin", escape_html(tr("Admin"))),
        fmt::arg("owner", escape_html(tr("Owner"))),
        fmt::arg("hint", escape_html(tr("For someone who already has an account; invite anyone else by email."))));
  }
  std::string body = fmt::format(
      R"(<h1>{title}</h1>
<div class="card mb-6 overflow-x-auto"><table><thead><tr><th scope="col">{person}</th><th scope="col">{role}</th><th scope="col">{module_roles}</th><th scope="col"><span class="sr-only">{actions}</span></th></tr></thead><tbody>{rows}</tbody></table></div>
{invitations}{add_section})",
      fmt::arg("title", escape_html(tr("Members"))), fmt::arg("person", escape_html(tr("Person"))),
      fmt::arg("role", escape_html(tr("Role"))), fmt::arg("module_roles", escape_html(tr("Module roles"))),
      fmt::arg("actions", escape_html(tr("Actions"))), fmt::arg("rows", rows), fmt::arg("invitations", invitations),
      fmt::arg("add_section", add_section));
  return page_response(request, status::ok, admin.frame, Layout::app, tr("Members"), body);
}

http::Response AdminPages::invitation(const http::Request& request, const http::RequestContext& context,
                                      const AdminRequest& admin, std::string_view action) {
  const auto& tenant = admin.tenant;
  const auto& tr = admin.frame.tr;
  std::string_view body = request.body();
  if (!services_.invitations || !services_.mailer) return refused(request, admin, "Members", tr("Invitations are not offered here."));
  if (action == "revoke_invitation") {
    long long id = 0;
    try {
      id = std::stoll(field(body, "invitation"));
    } catch (const std::exception&) {
      return refused(request, admin, "Members", tr("The form named no invitation."));
    }
    if (auto ok = services_.invitations->revoke(tenant.id, id); !ok) return refused(request, admin, "Members", ok.error().message());
    return done(request, context, admin, "invitation.revoked", std::to_string(id), "/admin/members", Flash::invitation_revoked);
  }
  auto role = orgs::parse_tenant_role(field(body, "role"));
  if (!role) return refused(request, admin, "Members", role.error().message());
  if (*role == orgs::TenantRole::owner && !acts_as_owner(admin.who)) {
    return refused(request, admin, "Members", tr("Only an owner may make owners or change an owner's membership."));
  }
  auto invited = services_.invitations->invite(tenant.id, field(body, "email"), *role, admin.visitor.session->user.id);
  if (!invited) return refused(request, admin, "Members", invited.error().message());
  const auto& inviter = admin.visitor.session->user;
  auto sent = services_.mailer->send(
      request, tenant, invited->email, fmt::format("You are invited to {}", tenant.name),
      fmt::format("{} invites you to join {} as {}. Accept within 7 days:\n{}/join?token={}\n",
                  inviter.name.empty() ? inviter.email : inviter.name, tenant.name, orgs::to_string(invited->role),
                  services_.mailer->tenant_url(request, tenant), invited->token));
  if (!sent) return refused(request, admin, "Members", sent.error().message());
  return done(request, context, admin, "invitation.sent", invited->email, "/admin/members", Flash::invitation_sent);
}

// ---- modules ---------------------------------------------------------------------------------------------

http::Response AdminPages::modules(const http::Request& request, const http::RequestContext& context,
                                   const AdminRequest& admin) {
  const auto& tenant = admin.tenant;
  const auto& tr = admin.frame.tr;
  const auto& registry = services_.tenancy.registry();
  if (request.method() == http::bhttp::verb::post) {
    std::string_view body = request.body();
    std::string code = field(body, "module"), action = field(body, "action");
    if (!registry.find(code)) return refused(request, admin, "Modules", fmt::format("{} '{}'", tr("No such module:"), code));
    if (action == "enable") {
      auto enabled = services_.tenancy.enable_module(tenant.slug, code);
      if (!enabled) return refused(request, admin, "Modules", enabled.error().message());
      return done(request, context, admin, "module.enabled", code, "/admin/modules", Flash::module_enabled);
    }
    if (action == "disable") {
      if (auto ok = services_.tenancy.disable_module(tenant.slug, code, false); !ok) {
        return refused(request, admin, "Modules", ok.error().message());
      }
      return done(request, context, admin, "module.disabled", code, "/admin/modules", Flash::module_disabled);
    }
    return refused(request, admin, "Modules", tr("The form asked for nothing this page does."));
  }
  std::string cards;
  for (const auto* module : registry.in_dependency_order()) {
    bool on = std::find(tenant.modules.begin(), tenant.modules.end(), module->code) != tenant.modules.end();
    std::string dependencies;
    for (const auto& dependency : module->dependencies) {
      dependencies += (dependencies.empty() ? "" : ", ") + escape_html(dependency.code);
    }
    cards += fmt::format(
        R"(<li class="card flex flex-col gap-3" data-module="{code}"><div class="flex items-start justify-between gap-3"><div><h2 class="mb-1">{name}</h2><p class="text-sm text-gray-600">{code} · {version}</p></div><span class="badge {badge_class}" data-state>{state}</span></div>
<p class="text-sm">{description}</p>{dependencies}
<form method="post" action="/admin/modules">{csrf}<input type="hidden" name="module" value="{code}"><input type="hidden" name="action" value="{action}"><button type="submit" class="btn {button_class}">{button}</button></form></li>)",
        fmt::arg("code", escape_html(module->code)), fmt::arg("name", escape_html(module->name)),
        fmt::arg("version", escape_html(module->version.to_string())), fmt::arg("badge_class", on ? "badge-ok" : ""),
        fmt::arg("state", escape_html(tr(on ? "On" : "Off"))), fmt::arg("description", escape_html(module->description)),
        fmt::arg("dependencies", dependencies.empty() ? ""
                                                      : fmt::format(R"(<p class="text-sm">{} {}</p>)",
                                                                    escape_html(tr("Needs:")), dependencies)),
        fmt::arg("csrf", csrf_field(admin)), fmt::arg("action", on ? "disable" : "enable"),
        fmt::arg("button_class", on ? "btn-secondary" : ""),
        fmt::arg("button", escape_html(fmt::format("{} {}", tr(on ? "Turn off" : "Turn on"), module->name))));
  }
  if (cards.empty()) cards = fmt::format("<li>{}</li>", escape_html(tr("No modules are installed.")));
  std::string body = fmt::format(R"(<h1>{}</h1><p class="mb-4">{}</p><ul class="grid gap-4 md:grid-cols-2">{}</ul>)",
                                 escape_html(tr("Modules")),
                                 escape_html(tr("Turning a module off keeps its data; turning it on again brings it back.")), cards);
  return page_response(request, status::ok, admin.frame, Layout::app, tr("Modules"), body);
}

// ---- domains ---------------------------------------------------------------------------------------------

http::Response AdminPages::domains(const http::Request& request, const http::RequestContext& context,
                                   const AdminRequest& admin) {
  const auto& tenant = admin.tenant;
  const auto& tr = admin.frame.tr;
  if (request.method() == http::bhttp::verb::post) {
    std::string_view body = request.body();
    std::string action = field(body, "action"), host = field(body, "domain");
    Status ok = Ok{};
    Flash flash = Flash::domain_added;
    if (action == "add") ok = services_.tenancy.add_domain(tenant.slug, host);
    else if (action == "remove") ok = services_.tenancy.remove_domain(tenant.slug, host), flash = Flash::domain_removed;
    else if (action == "primary") ok = services_.tenancy.set_primary_domain(tenant.slug, host), flash = Flash::settings_saved;
    else ok = Error::invalid_argument(std::string(tr("The form asked for nothing this page does.")));
    if (!ok) return refused(request, admin, "Domains", ok.error().message());
    return done(request, context, admin, "domain." + action, host, "/admin/domains", flash);
  }
  std::string rows;
  for (std::size_t i = 0; i < tenant.domains.size(); ++i) {
    const auto& host = tenant.domains[i];
    std::string actions;
    if (i > 0) {
      actions += fmt::format(
          R"(<form method="post" action="/admin/domains" class="inline">{}<input type="hidden" name="action" value="primary"><input type="hidden" name="domain" value="{}"><button type="submit" class="btn btn-secondary">{}</button></form> )",
          csrf_field(admin), escape_html(host), escape_html(tr("Make primary")));
    }
    if (tenant.domains.size() > 1) {
      actions += fmt::format(
          R"(<form method="post" action="/admin/domains" class="inline">{}<input type="hidden" name="action" value="remove"><input type="hidden" name="domain" value="{}"><button type="submit" class="btn btn-danger">{}</button></form>)",
          csrf_field(admin), escape_html(host), escape_html(tr("Remove")));
    }
    rows += fmt::format(R"(<tr data-domain="{0}"><td><code>{0}</code> {1}</td><td class="flex flex-wrap gap-2">{2}</td></tr>)",
                        escape_html(host), i == 0 ? fmt::format(R"(<span class="badge badge-ok">{}</span>)", escape_html(tr("Primary"))) : "",
                        actions);
  }
  std::string body = fmt::format(
      R"(<h1>{title}</h1><div class="card mb-6"><table><thead><tr><th scope="col">{domain}</th><th scope="col"><span class="sr-only">{actions}</span></th></tr></thead><tbody>{rows}</tbody></table></div>
<section class="card max-w-xl"><h2>{add}</h2><form method="post" action="/admin/domains">{csrf}<input type="hidden" name="action" value="add">
<div class="field"><label for="new-domain">{domain}</label><input id="new-domain" name="domain" type="text" required placeholder="app.example.com" autocomplete="off"><p class="hint">{hint}</p></div>
<button type="submit" class="btn">{add}</button></form></section>)",
      fmt::arg("title", escape_html(tr("Domains"))), fmt::arg("domain", escape_html(tr("Domain"))),
      fmt::arg("actions", escape_html(tr("Actions"))), fmt::arg("rows", rows), fmt::arg("add", escape_html(tr("Add a domain"))),
      fmt::arg("csrf", csrf_field(admin)),
      fmt::arg("hint", escape_html(tr("Point the domain's DNS at this platform first. The primary domain is the one emails link to."))));
  return page_response(request, status::ok, admin.frame, Layout::app, tr("Domains"), body);
}

// ---- settings --------------------------------------------------------------------------------------------

http::Response AdminPages::settings(const http::Request& request, const http::RequestContext& context,
                                    const AdminRequest& admin) {
  const auto& tenant = admin.tenant;
  const auto& tr = admin.frame.tr;
  if (request.method() == http::bhttp::verb::post) {
    std::string_view body = request.body();
    // All or nothing. (The address the workspace's emails come from is the operator's to set, `calyx tenant
    // support-email`: a tenant admin could otherwise send mail in anyone's name.)
    Status ok = services_.tenancy.set_workspace_settings(
        tenant.slug, {field(body, "name"), field(body, "locale"), field(body, "allow_signup") == "on"});
    if (!ok) return refused(request, admin, "Settings", ok.error().message());
    return done(request, context, admin, "tenant.settings_changed", tenant.slug, "/admin/settings", Flash::settings_saved);
  }
  std::string body = fmt::format(
      R"(<h1>{title}</h1><form method="post" action="/admin/settings" class="card max-w-xl">{csrf}
<div class="field"><label for="name">{name_label}</label><input id="name" name="name" type="text" required maxlength="120" value="{name}"></div>
<div class="field"><label for="locale">{language}</label><select id="locale" name="locale"><option value="en"{en}>English</option><option value="pt-BR"{pt}>Português (Brasil)</option></select><p class="hint">{language_hint}</p></div>
<div class="field"><label class="flex items-center gap-2 font-normal"><input type="checkbox" name="allow_signup"{signup}> {signup_label}</label></div>
<button type="submit" class="btn">{save}</button></form>)",
      fmt::arg("title", escape_html(tr("Settings"))), fmt::arg("csrf", csrf_field(admin)),
      fmt::arg("name_label", escape_html(tr("Workspace name"))), fmt::arg("name", escape_html(tenant.name)),
      fmt::arg("language", escape_html(tr("Language"))), fmt::arg("en", tenant.locale == "en" ? " selected" : ""),
      fmt::arg("pt", tenant.locale == "pt-BR" ? " selected" : ""),
      fmt::arg("language_hint", escape_html(tr("The workspace's default; each person may choose their own."))),
      fmt::arg("signup", tenant.allow_signup ? " checked" : ""),
      fmt::arg("signup_label", escape_html(tr("People may create their own account on this workspace"))),
      fmt::arg("save", escape_html(tr("Save"))));
  return page_response(request, status::ok, admin.frame, Layout::app, tr("Settings"), body);
}

// ---- language --------------------------------------------------------------------------------------------

http::Response AdminPages::language(const http::Request& request, const http::RequestContext& context,
                                    const AdminRequest& admin) {
  const auto& tr = admin.frame.tr;
  const auto& user = admin.visitor.session->user;
  if (request.method() == http::bhttp::verb::post) {
    std::string locale = field(request.body(), "locale");
    if (auto ok = services_.accounts.set_locale(user.id, locale); !ok) return refused(request, admin, "Language", ok.error().message());
    return done(request, context, admin, "user.language_changed", locale, "/account/language", Flash::language_changed);
  }
  std::string options;
  for (auto [code, label] : {std::pair{"", "The workspace's language"}, std::pair{"en", "English"},
                             std::pair{"pt-BR", "Português (Brasil)"}}) {
    options += fmt::format(R"(<option value="{}"{}>{}</option>)", code, user.locale == code ? " selected" : "",
                           escape_html(tr(label)));
  }
  std::string body = fmt::format(
      R"(<h1>{}</h1><form method="post" action="/account/language" class="card max-w-md">{}<div class="field"><label for="locale">{}</label><select id="locale" name="locale">{}</select></div><button type="submit" class="btn">{}</button></form>)",
      escape_html(tr("Language")), csrf_field(admin), escape_html(tr("Interface language")), options, escape_html(tr("Save")));
  return page_response(request, status::ok, admin.frame, Layout::app, tr("Language"), body);
}

// ---- multipart -------------------------------------------------------------------------------------------

std::optional<std::vector<FormPart>> multipart_parts(const http::Request& request) {
  std::string_view type = request[http::bhttp::field::content_type];
  if (!type.starts_with("multipart/form-data")) return std::nullopt;
  auto at = type.find("boundary=");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view boundary = type.substr(at + 9);
  if (auto semicolon = boundary.find(';'); semicolon != std::string_view::npos) boundary = boundary.substr(0, semicolon);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  if (boundary.empty() || boundary.size() > 70) return std::nullopt;
  std::string delimiter = "--" + std::string(boundary);
  std::string_view body = request.body();
  std::vector<FormPart> parts;
  auto start = body.find(delimiter);
  if (start == std::string_view::npos) return std::nullopt;
  std::size_t cursor = start + delimiter.size();
  while (true) {
    if (body.substr(cursor, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(cursor, 2) != "\r\n") return std::nullopt;
    cursor += 2;
    auto headers_end = body.find("\r\n\r\n", cursor);
    if (headers_end == std::string_view::npos) return std::nullopt;
    std::string_view headers = body.substr(cursor, headers_end - cursor);
    auto next = body.find("\r\n" + delimiter, headers_end + 4);
    if (next == std::string_view::npos) return std::nullopt;
    FormPart part;
    part.content = std::string(body.substr(headers_end + 4, next - headers_end - 4));
    while (!headers.empty()) {
      auto line_end = headers.find("\r\n");
      std::string_view line = headers.substr(0, line_end);
      std::string lower = text::ascii_lower(line);
      auto quoted = [&](std::string_view key) -> std::string {
        auto found = lower.find(std::string(key) + "=\"");
        if (found == std::string::npos) return {};
        auto begin = found + key.size() + 2;
        auto end = line.find('"', begin);
        return end == std::string_view::npos ? std::string() : std::string(line.substr(begin, end - begin));
      };
      if (lower.starts_with("content-disposition:")) {
        // " filename=" must not be mistaken for " name=": look for the name parameter after a separator.
        auto found = lower.find("; name=\"");
        if (found != std::string::npos) {
          auto begin = found + 8;
          auto end = line.find('"', begin);
          if (end != std::string_view::npos) part.name = std::string(line.substr(begin, end - begin));
        }
        part.filename = quoted("filename");
      } else if (lower.starts_with("content-type:")) {
        std::string_view value = line.substr(13);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        part.content_type = std::string(value);
      }
      if (line_end == std::string_view::npos) break;
      headers.remove_prefix(line_end + 2);
    }
    parts.push_back(std::move(part));
    cursor = next + 2 + delimiter.size();
  }
}

}  // namespace calyx::web
