// Organizations, their members and invitations on the host database.
#include <calyx/orgs/orgs.hpp>

#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/tenancy/names.hpp>

#include <calyx/clock.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

namespace calyx::orgs {
namespace {

constexpr std::int64_t kInvitationLifetime = 7 * 24 * 3600;

int admins(soci::session& s, long long org) {
  int count = 0;
  s << "SELECT COUNT(*) FROM calyx_org_members WHERE org_id = :o AND role = 'admin'", soci::use(org), soci::into(count);
  return count;
}

// The member's role in the org, or nullopt.
std::optional<std::string> member_role(soci::session& s, long long org, long long user) {
  std::string role;
  soci::indicator found = soci::i_null;
  s << "SELECT role FROM calyx_org_members WHERE org_id = :o AND user_id = :u", soci::use(org), soci::use(user),
      soci::into(role, found);
  return found == soci::i_ok ? std::optional(role) : std::nullopt;
}

// Reads one invitation selected by `where` (one bound text value).
Result<Invitation> read_invitation(soci::session& s, const std::string& where, const std::string& value) {
  Invitation inv;
  long long id = 0, org = 0, expires = 0;
  std::string role;
  soci::indicator found = soci::i_null;
  s << "SELECT id, org_id, email, role, status, expires_at FROM calyx_invitations WHERE " + where, soci::use(value),
      soci::into(id, found), soci::into(org), soci::into(inv.email), soci::into(role), soci::into(inv.status),
      soci::into(expires);
  if (found != soci::i_ok) return Error::not_found("this invitation is not valid");
  inv.id = id;
  inv.org_id = org;
  inv.role = parse_org_role(role).value();
  inv.expires_at = expires;
  return inv;
}

}  // namespace

std::string_view to_string(OrgRole role) { return role == OrgRole::admin ? "admin" : "member"; }

Result<OrgRole> parse_org_role(std::string_view text) {
  if (text == "admin") return OrgRole::admin;
  if (text == "member") return OrgRole::member;
  return Error::invalid_argument(fmt::format("unknown org role '{}' (admin or member)", text));
}

mail::Message invitation_email(const Invitation& invitation, std::string_view org_name, std::string_view inviter,
                               std::string_view base_url, std::string from, std::optional<std::int64_t> tenant_id) {
  std::string who = inviter.empty() ? std::string("You are") : fmt::format("{} invites you", inviter);
  if (inviter.empty()) who += " invited";
  return {0, tenant_id, invitation.email, std::move(from), fmt::format("You are invited to join {}", org_name),
          fmt::format("{} to join {} as {}. Accept or decline within 7 days:\n{}/invitation?token={}\n", who, org_name,
                      to_string(invitation.role), base_url, invitation.token),
          "", "", ""};
}

Orgs::Orgs(db::ConnectionPool& host) : host_(host) {}

Result<Org> Orgs::create(std::string_view slug, std::string_view name, std::int64_t first_admin) {
  if (auto ok = tenancy::validate_slug(slug, {}); !ok) return Error::invalid_argument("org " + ok.error().message());
  if (name.empty() || name.size() > 100) return Error::invalid_argument("an org name of 1 to 100 characters is required");
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    std::string text(slug), title(name), now = utc_now();
    int taken = 0;
    s << "SELECT COUNT(*) FROM calyx_orgs WHERE slug = :s", soci::use(text), soci::into(taken);
    if (taken) return Error::conflict(fmt::format("an org with slug '{}' already exists", slug));
    long long id = 0, admin = first_admin;
    s << "INSERT INTO calyx_orgs (slug, name, created_at) VALUES (:s, :n, :c) RETURNING id", soci::use(text),
        soci::use(title), soci::use(now), soci::into(id);
    s << "INSERT INTO calyx_org_members (org_id, user_id, role, created_at) VALUES (:o, :u, 'admin', :c)", soci::use(id),
        soci::use(admin), soci::use(now);
    tx.commit();
    return Org{id, text, title, now};
  } catch (const std::exception& e) {
    return Error::failed("creating the org", e);
  }
}

Result<Org> Orgs::find(std::string_view slug) {
  auto all = list();
  if (!all) return all.error();
  for (auto& org : *all) {
    if (org.slug == slug) return org;
  }
  return Error::not_found(fmt::format("no org '{}'", slug));
}

Result<std::vector<Org>> Orgs::list() {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<Org> out;
  try {
    Org org;
    long long id = 0;
    soci::statement rows = (lease->session().prepare << "SELECT id, slug, name, created_at FROM calyx_orgs ORDER BY slug",
                            soci::into(id), soci::into(org.slug), soci::into(org.name), soci::into(org.created_at));
    rows.execute();
    while (rows.fetch()) {
      org.id = id;
      out.push_back(org);
    }
  } catch (const std::exception& e) {
    return Error::failed("listing orgs", e);
  }
  return out;
}

Result<std::vector<OrgMember>> Orgs::members(std::int64_t org_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<OrgMember> out;
  try {
    long long org = org_id, user = 0;
    std::string email, role;
    soci::statement rows = (lease->session().prepare << "SELECT u.id, u.email, m.role FROM calyx_org_members m JOIN calyx_users u "
                                                        "ON u.id = m.user_id WHERE m.org_id = :o ORDER BY u.email",
                            soci::use(org), soci::into(user), soci::into(email), soci::into(role));
    rows.execute();
    while (rows.fetch()) out.push_back({user, email, parse_org_role(role).value()});
  } catch (const std::exception& e) {
    return Error::failed("listing org members", e);
  }
  return out;
}

Result<std::optional<OrgRole>> Orgs::role_of(std::int64_t org_id, std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    auto role = member_role(lease->session(), org_id, user_id);
    if (!role) return std::optional<OrgRole>();
    return std::optional<OrgRole>(parse_org_role(*role).value());
  } catch (const std::exception& e) {
    return Error::failed("reading the org membership", e);
  }
}

Status Orgs::set_role(std::int64_t org_id, std::int64_t user_id, OrgRole role) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long org = org_id, user = user_id;
    std::string text(to_string(role)), now = utc_now();
    auto current = member_role(s, org, user);
    if (current == "admin" && role != OrgRole::admin && admins(s, org) == 1) {
      return Error::conflict("the last admin of an org cannot be demoted");
    }
    if (current) {
      s << "UPDATE calyx_org_members SET role = :r WHERE org_id = :o AND user_id = :u", soci::use(text), soci::use(org),
          soci::use(user);
    } else {
      s << "INSERT INTO calyx_org_members (org_id, user_id, role, created_at) VALUES (:o, :u, :r, :c)", soci::use(org),
          soci::use(user), soci::use(text), soci::use(now);
    }
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the org membership", e);
  }
}

Status Orgs::remove_member(std::int64_t org_id, std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long org = org_id, user = user_id;
    auto current = member_role(s, org, user);
    if (!current) return Error::not_found("the user is not a member of this org");
    if (*current == "admin" && admins(s, org) == 1) return Error::conflict("the last admin of an org cannot be removed");
    s << "DELETE FROM calyx_org_members WHERE org_id = :o AND user_id = :u", soci::use(org), soci::use(user);
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("removing the org member", e);
  }
}

Result<Invitation> Orgs::invite(std::int64_t org_id, std::string_view email, OrgRole role, std::int64_t invited_by) {
  auto normalized = accounts::normalize_email(email);
  if (!normalized) return normalized.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  Invitation inv;
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long org = org_id, by = invited_by;
    int pending = 0;
    s << "SELECT COUNT(*) FROM calyx_invitations WHERE org_id = :o AND email = :e AND status = 'pending' AND expires_at > :n",
        soci::use(org), soci::use(*normalized), soci::use(static_cast<long long>(unix_now())), soci::into(pending);
    if (pending) return Error::conflict(fmt::format("{} already has a pending invitation; resend it instead", *normalized));
    inv.token = accounts::random_token();
    std::string digest = accounts::token_digest(inv.token), text(to_string(role)), now = utc_now();
    long long expires = unix_now() + kInvitationLifetime, id = 0;
    soci::indicator by_indicator = invited_by ? soci::i_ok : soci::i_null;  // 0: the system (the CLI)
    s << "INSERT INTO calyx_invitations (org_id, email, role, token_hash, invited_by, status, created_at, expires_at) "
         "VALUES (:o, :e, :r, :h, :b, 'pending', :c, :x) RETURNING id",
        soci::use(org), soci::use(*normalized), soci::use(text), soci::use(digest), soci::use(by, by_indicator), soci::use(now),
        soci::use(expires), soci::into(id);
    tx.commit();
    inv.id = id;
    inv.org_id = org_id;
    inv.email = *normalized;
    inv.role = role;
    inv.status = "pending";
    inv.expires_at = expires;
  } catch (const std::exception& e) {
    return Error::failed("inviting", e);
  }
  return inv;
}

Result<Invitation> Orgs::resend(std::int64_t invitation_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    auto inv = read_invitation(s, "CAST(id AS TEXT) = :v", std::to_string(invitation_id));
    if (!inv) return inv.error();
    if (inv->status != "pending") return Error::conflict(fmt::format("the invitation is {}", inv->status));
    inv->token = accounts::random_token();
    std::string digest = accounts::token_digest(inv->token);
    long long expires = unix_now() + kInvitationLifetime, id = invitation_id;
    s << "UPDATE calyx_invitations SET token_hash = :h, expires_at = :x WHERE id = :i", soci::use(digest), soci::use(expires),
        soci::use(id);
    tx.commit();
    inv->expires_at = expires;
    return inv;
  } catch (const std::exception& e) {
    return Error::failed("resending the invitation", e);
  }
}

Status Orgs::revoke(std::int64_t invitation_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = invitation_id;
    soci::statement st = (lease->session().prepare << "UPDATE calyx_invitations SET status = 'revoked' WHERE id = :i AND "
                                                      "status = 'pending'",
                          soci::use(id));
    st.execute(true);
    if (st.get_affected_rows() == 0) return Error::not_found("no pending invitation with that id");
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("revoking the invitation", e);
  }
}

Result<std::vector<Invitation>> Orgs::invitations(std::int64_t org_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<Invitation> out;
  try {
    long long org = org_id, id = 0, expires = 0;
    Invitation inv;
    std::string role;
    soci::statement rows = (lease->session().prepare << "SELECT id, email, role, status, expires_at FROM calyx_invitations "
                                                        "WHERE org_id = :o ORDER BY id",
                            soci::use(org), soci::into(id), soci::into(inv.email), soci::into(role), soci::into(inv.status),
                            soci::into(expires));
    rows.execute();
    while (rows.fetch()) {
      inv.id = id;
      inv.org_id = org_id;
      inv.role = parse_org_role(role).value();
      inv.expires_at = expires;
      out.push_back(inv);
    }
  } catch (const std::exception& e) {
    return Error::failed("listing invitations", e);
  }
  return out;
}

Result<Invitation> Orgs::invitation(std::string_view token) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    auto inv = read_invitation(lease->session(), "token_hash = :v", accounts::token_digest(token));
    if (!inv) return inv.error();
    if (inv->status != "pending") return Error::denied(fmt::format("this invitation was {}", inv->status));
    if (inv->expires_at <= unix_now()) return Error::denied("this invitation has expired; ask for a new one");
    return inv;
  } catch (const std::exception& e) {
    return Error::failed("reading the invitation", e);
  }
}

Result<Invitation> Orgs::accept(std::string_view token, std::int64_t user_id, std::string_view email) {
  auto inv = invitation(token);
  if (!inv) return inv.error();
  auto signed_in = accounts::normalize_email(email);
  if (!signed_in || *signed_in != inv->email) {
    return Error::denied(fmt::format("this invitation is for {}; sign in with that address", inv->email));
  }
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long id = inv->id, org = inv->org_id, user = user_id;
    // Single use even when two accept at once: only the one that moves it from pending wins.
    soci::statement claim = (s.prepare << "UPDATE calyx_invitations SET status = 'accepted' WHERE id = :i AND "
                                          "status = 'pending'",
                             soci::use(id));
    claim.execute(true);
    if (claim.get_affected_rows() != 1) return Error::conflict("this invitation was accepted already");
    if (!member_role(s, org, user)) {  // someone who became a member meanwhile keeps the role they have
      std::string role(to_string(inv->role)), now = utc_now();
      s << "INSERT INTO calyx_org_members (org_id, user_id, role, created_at) VALUES (:o, :u, :r, :c)", soci::use(org),
          soci::use(user), soci::use(role), soci::use(now);
    }
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed("accepting the invitation", e);
  }
  inv->status = "accepted";
  return inv;
}

Status Orgs::reject(std::string_view token) {
  auto inv = invitation(token);
  if (!inv) return inv.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = inv->id;
    lease->session() << "UPDATE calyx_invitations SET status = 'rejected' WHERE id = :i", soci::use(id);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("rejecting the invitation", e);
  }
}

}  // namespace calyx::orgs
