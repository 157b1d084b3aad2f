// `calyx user create|show|suspend|activate` and `calyx tenant member add|list|remove`.
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>

namespace calyx::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "-" : out;
}

}  // namespace

int user_create(const std::string& config_file, const UserCreateArgs& args) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  std::string password;
  if (!args.password_stdin) return fail("give the password on standard input with --password-stdin");
  std::getline(std::cin, password);
  auto user = (*host)->accounts->create_user({args.email, args.name, password, args.platform_admin, true});
  if (!user) return fail(user.error().message());
  (*host)->audit->record({0, "", "system", std::nullopt, std::nullopt, std::nullopt, "user.created", user->email,
                          args.platform_admin ? R"({"platform_admin":true})" : "{}", ""});
  std::printf("created user %s%s\n", user->email.c_str(), user->platform_admin ? " (platform admin)" : "");
  return 0;
}

int user_reset_two_factor(const std::string& config_file, const std::string& email) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto user = (*host)->accounts->find_user(email);
  if (!user) return fail(fmt::format("no user {}", email));
  if (auto ok = (*host)->accounts->reset_totp(user->id); !ok) return fail(ok.error().message());
  (*host)->audit->record({0, "", "system", std::nullopt, std::nullopt, std::nullopt, "account.two_factor_reset",
                          user->email, "{}", ""});
  std::printf("two-factor sign-in of %s is off; they can set it up again\n", user->email.c_str());
  return 0;
}

int user_set_status(const std::string& config_file, const std::string& email, const std::string& status) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto user = (*host)->accounts->find_user(email);
  if (!user) return fail(fmt::format("no user {}", email));
  auto parsed = accounts::parse_user_status(status);
  if (!parsed) return fail(parsed.error().message());
  if (auto ok = (*host)->accounts->set_status(user->id, *parsed); !ok) return fail(ok.error().message());
  (*host)->audit->record({0, "", "system", std::nullopt, std::nullopt, std::nullopt, "user." + status, user->email, "{}", ""});
  std::printf("user %s is %s%s\n", user->email.c_str(), status.c_str(), status == "active" ? "" : " (signed out everywhere)");
  return 0;
}

int user_list(const std::string& config_file) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto users = (*host)->accounts->list_users();
  if (!users) return fail(users.error().message());
  std::vector<std::vector<std::string>> rows{{"EMAIL", "NAME", "STATUS", "PLATFORM ADMIN", "LAST SIGN-IN"}};
  for (const auto& u : *users) {
    rows.push_back({u.email, u.name.empty() ? "-" : u.name, std::string(accounts::to_string(u.status)),
                    u.platform_admin ? "yes" : "no", u.last_sign_in_at.empty() ? "-" : u.last_sign_in_at});
  }
  print_table(rows);
  return 0;
}

int member_add(const std::string& config_file, const MemberArgs& args) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto tenant = (*host)->tenancy->find(args.slug);
  if (!tenant) return fail(tenant.error().message());
  auto user = (*host)->accounts->find_user(args.email);
  if (!user) return fail(fmt::format("no user {} (calyx user create first)", args.email));
  auto role = orgs::parse_tenant_role(args.role.empty() ? "member" : args.role);
  if (!role) return fail(role.error().message());
  // Every module role must exist before anything changes.
  for (const auto& module_role : args.module_roles) {
    bool known = false;
    for (const auto& code : tenant->modules) {
      if (const auto* module = (*host)->catalog->registry().find(code)) {
        for (const auto& r : module->roles) known = known || r.code == module_role;
      }
    }
    if (!known) return fail(fmt::format("no module of tenant {} defines the role '{}'", args.slug, module_role));
  }
  auto& memberships = *(*host)->memberships;
  auto before = memberships.of(tenant->id, user->id);
  if (!before) return fail(before.error().message());
  // Without --role an existing member keeps theirs; a new one is a member.
  if (!*before || !args.role.empty()) {
    if (auto ok = memberships.set_role(tenant->id, user->id, *role); !ok) return fail(ok.error().message());
  }
  std::string now_role(orgs::to_string(*before && args.role.empty() ? (*before)->role : *role));
  if (!*before) {  // joined: the tenant's modules may set up the new member's data
    (void)(*host)->tenancy->fire_hook(*tenant, "user_created",
                                      fmt::format(R"({{"user_id":{},"email":"{}","tenant":"{}"}})", user->id, user->email,
                                                  tenant->slug));
  }
  for (const auto& module_role : args.module_roles) {
    if (auto ok = memberships.grant_module_role(tenant->id, user->id, module_role); !ok) return fail(ok.error().message());
  }
  for (const auto& permission : args.prohibited) {
    if (auto ok = memberships.prohibit(tenant->id, user->id, permission); !ok) return fail(ok.error().message());
  }
  (*host)->audit->record({0, "", "system", std::nullopt, std::nullopt, tenant->id, "member.role_changed", user->email,
                          fmt::format(R"({{"role":"{}"}})", now_role), ""});
  std::printf("%s is %s of %s\n", user->email.c_str(), now_role.c_str(), args.slug.c_str());
  return 0;
}

int member_list(const std::string& config_file, const std::string& slug) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto tenant = (*host)->tenancy->find(slug);
  if (!tenant) return fail(tenant.error().message());
  auto members = (*host)->memberships->members(tenant->id);
  if (!members) return fail(members.error().message());
  if (members->empty()) {
    std::printf("tenant %s has no members\n", slug.c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"EMAIL", "NAME", "ROLE", "MODULE ROLES", "PROHIBITED"}};
  for (const auto& m : *members) {
    rows.push_back({m.email, m.name.empty() ? "-" : m.name, std::string(orgs::to_string(m.membership.role)),
                    join(m.membership.module_roles), join(m.membership.prohibited)});
  }
  print_table(rows);
  return 0;
}

int member_remove(const std::string& config_file, const std::string& slug, const std::string& email) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto tenant = (*host)->tenancy->find(slug);
  if (!tenant) return fail(tenant.error().message());
  auto user = (*host)->accounts->find_user(email);
  if (!user) return fail(fmt::format("no user {}", email));
  if (auto ok = (*host)->memberships->remove(tenant->id, user->id); !ok) return fail(ok.error().message());
  (*host)->audit->record({0, "", "system", std::nullopt, std::nullopt, tenant->id, "member.removed", user->email, "{}", ""});
  std::printf("%s is no longer a member of %s\n", user->email.c_str(), slug.c_str());
  return 0;
}

}  // namespace calyx::cli

namespace calyx::cli {

int org_command(const std::string& config_file, const OrgArgs& args) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto& orgs = *(*host)->orgs;
  if (args.action == "create") {
    auto admin = (*host)->accounts->find_user(args.email);
    if (!admin) return fail(fmt::format("no user {} (calyx user create first)", args.email));
    auto org = orgs.create(args.slug, args.name, admin->id);
    if (!org) return fail(org.error().message());
    (*host)->audit->record({0, "", "system", std::nullopt, std::nullopt, std::nullopt, "org.created", org->slug, "{}", ""});
    std::printf("created org %s with admin %s\n", org->slug.c_str(), admin->email.c_str());
    return 0;
  }
  if (args.action == "list") {
    auto all = orgs.list();
    if (!all) return fail(all.error().message());
    std::vector<std::vector<std::string>> rows{{"SLUG", "NAME", "CREATED"}};
    for (const auto& org : *all) rows.push_back({org.slug, org.name, org.created_at});
    print_table(rows);
    return 0;
  }
  auto org = orgs.find(args.slug);
  if (!org) return fail(org.error().message());
  if (args.action == "members") {
    auto members = orgs.members(org->id);
    if (!members) return fail(members.error().message());
    std::vector<std::vector<std::string>> rows{{"EMAIL", "ROLE"}};
    for (const auto& m : *members) rows.push_back({m.email, std::string(orgs::to_string(m.role))});
    print_table(rows);
    return 0;
  }
  if (args.action == "invitations") {
    auto invitations = orgs.invitations(org->id);
    if (!invitations) return fail(invitations.error().message());
    std::vector<std::vector<std::string>> rows{{"ID", "EMAIL", "ROLE", "STATUS"}};
    for (const auto& i : *invitations) rows.push_back({std::to_string(i.id), i.email, std::string(orgs::to_string(i.role)), i.status});
    print_table(rows);
    return 0;
  }
  if (args.action == "revoke") {
    if (auto ok = orgs.revoke(args.id); !ok) return fail(ok.error().message());
    std::printf("invitation %lld revoked\n", static_cast<long long>(args.id));
    return 0;
  }
  if (args.action == "tenant") {
    if (auto ok = (*host)->tenancy->set_org(args.tenant, org->id); !ok) return fail(ok.error().message());
    std::printf("tenant %s belongs to org %s\n", args.tenant.c_str(), org->slug.c_str());
    return 0;
  }
  // invite, or resend
  auto role = orgs::parse_org_role(args.role);
  if (!role) return fail(role.error().message());
  auto invitation = args.id ? orgs.resend(args.id) : orgs.invite(org->id, args.email, *role, 0);
  if (!invitation) return fail(invitation.error().message());
  // The link opens on a tenant of the org (its primary domain), else on any host of the platform.
  std::string host_name = (*host)->settings.base_domain;
  if (auto tenants = (*host)->tenancy->list()) {
    for (const auto& t : *tenants) {
      if (t.org_id == org->id) {
        host_name = t.domains.empty() ? t.slug + "." + (*host)->settings.base_domain : t.domains.front();
        break;
      }
    }
  }
  std::string base_url = "http://" + host_name;
  auto queued = (*host)->outbox->enqueue(orgs::invitation_email(*invitation, org->name, "", base_url,
                                                                "no-reply@" + (*host)->settings.base_domain, std::nullopt));
  if (!queued) return fail(queued.error().message());
  (*host)->audit->record({0, "", "system", std::nullopt, std::nullopt, std::nullopt,
                          args.id ? "invitation.resent" : "invitation.sent", invitation->email,
                          fmt::format(R"({{"org":"{}"}})", org->slug), ""});
  std::printf("invited %s to %s: %s/invitation?token=%s\n", invitation->email.c_str(), org->slug.c_str(), base_url.c_str(),
              invitation->token.c_str());
  return 0;
}

}  // namespace calyx::cli

namespace calyx::cli {

int audit_list(const std::string& config_file, const std::string& tenant_slug, const std::string& email, std::size_t limit) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  Result<std::vector<audit::Entry>> entries = Error::invalid_argument("give --tenant SLUG or --user EMAIL");
  if (!tenant_slug.empty()) {
    auto tenant = (*host)->tenancy->find(tenant_slug);
    if (!tenant) return fail(tenant.error().message());
    entries = (*host)->audit->for_tenant(tenant->id, limit);
  } else if (!email.empty()) {
    auto user = (*host)->accounts->find_user(email);
    if (!user) return fail(fmt::format("no user {}", email));
    entries = (*host)->audit->for_user(user->id, limit);
  }
  if (!entries) return fail(entries.error().message());
  std::vector<std::vector<std::string>> rows{{"AT", "ACTOR", "ACTION", "TARGET", "METADATA", "IP"}};
  for (const auto& e : *entries) {
    std::string actor = e.actor_kind + (e.actor_user_id ? "#" + std::to_string(*e.actor_user_id) : "") +
                        (e.impersonator_id ? " (by #" + std::to_string(*e.impersonator_id) + ")" : "");
    rows.push_back({e.at, actor, e.action, e.target.empty() ? "-" : e.target, e.metadata, e.ip.empty() ? "-" : e.ip});
  }
  print_table(rows);
  return 0;
}

}  // namespace calyx::cli
