// Tenant memberships, module-role grants and prohibitions on the host database.
#include <calyx/orgs/memberships.hpp>

#include <calyx/clock.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <map>

namespace calyx::orgs {
namespace {

int owners(soci::session& s, long long tenant) {
  int count = 0;
  s << "SELECT COUNT(*) FROM calyx_memberships WHERE tenant_id = :t AND role = 'owner'", soci::use(tenant), soci::into(count);
  return count;
}

std::optional<std::string> role_of(soci::session& s, long long tenant, long long user) {
  std::string role;
  soci::indicator found = soci::i_null;
  s << "SELECT role FROM calyx_memberships WHERE tenant_id = :t AND user_id = :u", soci::use(tenant), soci::use(user),
      soci::into(role, found);
  return found == soci::i_ok ? std::optional(role) : std::nullopt;
}

}  // namespace

std::string_view to_string(TenantRole role) {
  switch (role) {
    case TenantRole::owner: return "owner";
    case TenantRole::admin: return "admin";
    case TenantRole::member: return "member";
  }
  return "member";
}

Result<TenantRole> parse_tenant_role(std::string_view text) {
  if (text == "owner") return TenantRole::owner;
  if (text == "admin") return TenantRole::admin;
  if (text == "member") return TenantRole::member;
  return Error::invalid_argument(fmt::format("unknown tenant role '{}' (owner, admin or member)", text));
}

Memberships::Memberships(db::ConnectionPool& host) : host_(host) {}

Status Memberships::set_role(std::int64_t tenant_id, std::int64_t user_id, TenantRole role) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long tenant = tenant_id, user = user_id;
    auto current = role_of(s, tenant, user);
    if (current == "owner" && role != TenantRole::owner && owners(s, tenant) == 1) {
      return Error::conflict("the last owner of a tenant cannot be demoted; make another member owner first");
    }
    std::string text(to_string(role)), now = utc_now();
    if (current) {
      s << "UPDATE calyx_memberships SET role = :r WHERE tenant_id = :t AND user_id = :u", soci::use(text),
          soci::use(tenant), soci::use(user);
    } else {
      s << "INSERT INTO calyx_memberships (tenant_id, user_id, role, created_at) VALUES (:t, :u, :r, :c)",
          soci::use(tenant), soci::use(user), soci::use(text), soci::use(now);
    }
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the membership", e);
  }
}

Status Memberships::remove(std::int64_t tenant_id, std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long tenant = tenant_id, user = user_id;
    auto current = role_of(s, tenant, user);
    if (!current) return Error::not_found("the user is not a member of this tenant");
    if (*current == "owner" && owners(s, tenant) == 1) {
      return Error::conflict("the last owner of a tenant cannot be removed; make another member owner first");
    }
    s << "DELETE FROM calyx_member_rules WHERE tenant_id = :t AND user_id = :u", soci::use(tenant), soci::use(user);
    s << "DELETE FROM calyx_memberships WHERE tenant_id = :t AND user_id = :u", soci::use(tenant), soci::use(user);
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("removing the member", e);
  }
}

Result<std::optional<Membership>> Memberships::of(std::int64_t tenant_id, std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    auto& s = lease->session();
    long long tenant = tenant_id, user = user_id;
    auto role = role_of(s, tenant, user);
    if (!role) return std::optional<Membership>();
    Membership m;
    m.role = parse_tenant_role(*role).value();
    std::string effect, subject;
    soci::statement rules = (s.prepare << "SELECT effect, subject FROM calyx_member_rules WHERE tenant_id = :t AND "
                                          "user_id = :u ORDER BY subject",
                             soci::use(tenant), soci::use(user), soci::into(effect), soci::into(subject));
    rules.execute();
    while (rules.fetch()) (effect == "grant" ? m.module_roles : m.prohibited).push_back(subject);
    return std::optional<Membership>(std::move(m));
  } catch (const std::exception& e) {
    return Error::failed("reading the membership", e);
  }
}

Result<std::vector<Member>> Memberships::members(std::int64_t tenant_id) {
  std::vector<Member> out;
  {  // the connection goes back before each membership is read
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      auto& s = lease->session();
      long long tenant = tenant_id, user = 0;
      std::string email, name, role;
      soci::statement rows = (s.prepare << "SELECT u.id, u.email, u.name, m.role FROM calyx_memberships m JOIN "
                                           "calyx_users u ON u.id = m.user_id WHERE m.tenant_id = :t ORDER BY u.email",
                              soci::use(tenant), soci::into(user), soci::into(email), soci::into(name), soci::into(role));
      rows.execute();
      while (rows.fetch()) {
        Member member;
        member.user_id = user;
        member.email = email;
        member.name = name;
        member.membership.role = parse_tenant_role(role).value();
        out.push_back(std::move(member));
      }
    } catch (const std::exception& e) {
      return Error::failed("listing members", e);
    }
  }
  for (auto& member : out) {
    auto m = of(tenant_id, member.user_id);
    if (m && *m) member.membership = **m;
  }
  return out;
}

Status Memberships::rule(std::int64_t tenant_id, std::int64_t user_id, std::string_view effect, std::string_view subject,
                         bool add) {
  if (subject.empty() || subject.size() > 100) return Error::invalid_argument("a role or permission name is required");
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    auto& s = lease->session();
    long long tenant = tenant_id, user = user_id;
    if (!role_of(s, tenant, user)) return Error::not_found("the user is not a member of this tenant");
    std::string e(effect), what(subject);
    s << "DELETE FROM calyx_member_rules WHERE tenant_id = :t AND user_id = :u AND effect = :e AND subject = :s",
        soci::use(tenant), soci::use(user), soci::use(e), soci::use(what);
    if (add) {
      s << "INSERT INTO calyx_member_rules (tenant_id, user_id, effect, subject) VALUES (:t, :u, :e, :s)",
          soci::use(tenant), soci::use(user), soci::use(e), soci::use(what);
    }
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the member's roles", e);
  }
}

Status Memberships::grant_module_role(std::int64_t tenant_id, std::int64_t user_id, std::string_view role) {
  return rule(tenant_id, user_id, "grant", role, true);
}
Status Memberships::revoke_module_role(std::int64_t tenant_id, std::int64_t user_id, std::string_view role) {
  return rule(tenant_id, user_id, "grant", role, false);
}
Status Memberships::prohibit(std::int64_t tenant_id, std::int64_t user_id, std::string_view permission) {
  return rule(tenant_id, user_id, "deny", permission, true);
}
Status Memberships::allow(std::int64_t tenant_id, std::int64_t user_id, std::string_view permission) {
  return rule(tenant_id, user_id, "deny", permission, false);
}

}  // namespace calyx::orgs
