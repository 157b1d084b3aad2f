// Invitations to a workspace by email.
#include <calyx/orgs/memberships.hpp>

#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/clock.hpp>
#include <calyx/db/dialect.hpp>

#include <fmt/format.h>
#include <soci/soci.h>

namespace calyx::orgs {
namespace {

constexpr std::int64_t kLifetime = 7 * 24 * 3600;

// The pending, unexpired invitations matching `where` (with `tenant_id` and one more text value bound).
Result<std::vector<TenantInvitation>> read(soci::session& s, std::int64_t tenant_id, const std::string& where,
                                           const std::string& value) {
  std::vector<TenantInvitation> out;
  TenantInvitation inv;
  long long id = 0, tenant = tenant_id, expires = 0, now = unix_now();
  std::string role;
  soci::statement rows = (s.prepare << "SELECT id, email, role, status, expires_at FROM calyx_tenant_invitations "
                                       "WHERE tenant_id = :t AND status = 'pending' AND expires_at > :n AND " + where +
                                           " ORDER BY id DESC",
                          soci::use(tenant), soci::use(now), soci::use(value), soci::into(id), soci::into(inv.email),
                          soci::into(role), soci::into(inv.status), soci::into(expires));
  rows.execute();
  while (rows.fetch()) {
    inv.id = id;
    inv.tenant_id = tenant_id;
    inv.role = parse_tenant_role(role).value();
    inv.expires_at = expires;
    out.push_back(inv);
  }
  return out;
}

// The pending invitation whose link carries `token`.
Result<TenantInvitation> by_token(soci::session& s, std::int64_t tenant_id, std::string_view token) {
  auto found = read(s, tenant_id, "token_hash = :v", accounts::token_digest(token));
  if (!found) return found.error();
  if (found->empty()) return Error::not_found("this invitation link is not valid any more (used, replaced, revoked or expired)");
  return found->front();
}

}  // namespace

TenantInvitations::TenantInvitations(db::ConnectionPool& host) : host_(host) {}

Result<TenantInvitation> TenantInvitations::invite(std::int64_t tenant_id, std::string_view email, TenantRole role,
                                                   std::int64_t invited_by) {
  auto normalized = accounts::normalize_email(email);
  if (!normalized) return normalized.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long tenant = tenant_id, by = invited_by, id = 0;
    int member = 0;
    s << "SELECT COUNT(*) FROM calyx_memberships m JOIN calyx_users u ON u.id = m.user_id "
         "WHERE m.tenant_id = :t AND u.email = :e",
        soci::use(tenant), soci::use(*normalized), soci::into(member);
    if (member) return Error::conflict(fmt::format("{} is already a member", *normalized));
    s << "UPDATE calyx_tenant_invitations SET status = 'revoked' WHERE tenant_id = :t AND email = :e AND status = 'pending'",
        soci::use(tenant), soci::use(*normalized);
    TenantInvitation inv;
    inv.token = accounts::random_token();
    std::string digest = accounts::token_digest(inv.token), text(to_string(role)), now = utc_now();
    long long expires = unix_now() + kLifetime;
    soci::indicator by_indicator = invited_by ? soci::i_ok : soci::i_null;
    s << "INSERT INTO calyx_tenant_invitations (tenant_id, email, role, token_hash, invited_by, status, created_at, expires_at) "
         "VALUES (:t, :e, :r, :h, :b, 'pending', :c, :x) RETURNING id",
        soci::use(tenant), soci::use(*normalized), soci::use(text), soci::use(digest), soci::use(by, by_indicator),
        soci::use(now), soci::use(expires), soci::into(id);
    tx.commit();
    inv.id = id;
    inv.tenant_id = tenant_id;
    inv.email = *normalized;
    inv.role = role;
    inv.status = "pending";
    inv.expires_at = expires;
    return inv;
  } catch (const std::exception& e) {
    return Error::failed("inviting", e);
  }
}

Result<std::vector<TenantInvitation>> TenantInvitations::pending(std::int64_t tenant_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    return read(lease->session(), tenant_id, "'' = :v", "");
  } catch (const std::exception& e) {
    return Error::failed("listing invitations", e);
  }
}

Status TenantInvitations::revoke(std::int64_t tenant_id, std::int64_t invitation_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long tenant = tenant_id, id = invitation_id;
    soci::statement update = (lease->session().prepare << "UPDATE calyx_tenant_invitations SET status = 'revoked' "
                                                           "WHERE id = :i AND tenant_id = :t AND status = 'pending'",
                              soci::use(id), soci::use(tenant));
    update.execute(true);
    if (update.get_affected_rows() == 0) return Error::not_found("no such pending invitation");
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("revoking the invitation", e);
  }
}

Result<TenantInvitation> TenantInvitations::find(std::int64_t tenant_id, std::string_view token) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    return by_token(lease->session(), tenant_id, token);
  } catch (const std::exception& e) {
    return Error::failed("reading the invitation", e);
  }
}

Result<TenantInvitation> TenantInvitations::accept(std::int64_t tenant_id, std::string_view token, std::int64_t user_id,
                                                   std::string_view email) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    auto found = by_token(s, tenant_id, token);
    if (!found) return found.error();
    auto inv = *found;
    auto address = accounts::normalize_email(email);
    if (!address || *address != inv.email) {
      return Error::denied(fmt::format("this invitation is for {}; sign in with that address to accept it", inv.email));
    }
    long long tenant = tenant_id, user = user_id, id = inv.id;
    int member = 0;
    s << "SELECT COUNT(*) FROM calyx_memberships WHERE tenant_id = :t AND user_id = :u", soci::use(tenant), soci::use(user),
        soci::into(member);
    std::string role(to_string(inv.role)), now = utc_now();
    if (!member) {  // someone who became a member meanwhile keeps the role they have
      s << "INSERT INTO calyx_memberships (tenant_id, user_id, role, created_at) VALUES (:t, :u, :r, :c)", soci::use(tenant),
          soci::use(user), soci::use(role), soci::use(now);
    }
    // Single use even when two accept at once: only the one that moves it from pending wins.
    soci::statement accept = (s.prepare << "UPDATE calyx_tenant_invitations SET status = 'accepted' "
                                           "WHERE id = :i AND status = 'pending'",
                              soci::use(id));
    accept.execute(true);
    if (accept.get_affected_rows() != 1) return Error::conflict("this invitation was accepted already");
    tx.commit();
    inv.status = "accepted";
    return inv;
  } catch (const std::exception& e) {
    return Error::failed("accepting the invitation", e);
  }
}

}  // namespace calyx::orgs
