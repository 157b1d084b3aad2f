// Organizations: the customers that own tenants. An org has members (admin or member) and invites people by
// email: an invitation is a single-use link valid for 7 days, which the invited person accepts or rejects
// (signed in with the invited address); admins resend (a new link, the old one dies) or revoke it. An org
// keeps at least one admin.
// Thread-safety: all members are safe to call from several threads (state lives in the database).
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/mail/outbox.hpp>
#include <calyx/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace calyx::orgs {

enum class OrgRole { admin, member };
std::string_view to_string(OrgRole role);
Result<OrgRole> parse_org_role(std::string_view text);

struct Org {
  std::int64_t id = 0;
  std::string slug, name, created_at;
};

struct OrgMember {
  std::int64_t user_id = 0;
  std::string email;
  OrgRole role = OrgRole::member;
};

struct Invitation {
  std::int64_t id = 0, org_id = 0;
  std::string email;
  OrgRole role = OrgRole::member;
  std::string status;  // pending, accepted, rejected, revoked
  std::int64_t expires_at = 0;
  std::string token;   // only when just issued (to be mailed); never stored
};

// The email carrying an invitation's link (`base_url` + /invitation?token=…). `inviter` names who invites (empty:
// an operator's command).
mail::Message invitation_email(const Invitation& invitation, std::string_view org_name, std::string_view inviter,
                               std::string_view base_url, std::string from, std::optional<std::int64_t> tenant_id);

class Orgs {
 public:
  explicit Orgs(db::ConnectionPool& host);

  // `first_admin`: the user who becomes the org's admin.
  Result<Org> create(std::string_view slug, std::string_view name, std::int64_t first_admin);
  Result<Org> find(std::string_view slug);
  Result<std::vector<Org>> list();
  Result<std::vector<OrgMember>> members(std::int64_t org_id);
  Result<std::optional<OrgRole>> role_of(std::int64_t org_id, std::int64_t user_id);
  Status set_role(std::int64_t org_id, std::int64_t user_id, OrgRole role);
  Status remove_member(std::int64_t org_id, std::int64_t user_id);

  // `invited_by` 0: the system (an operator's command).
  Result<Invitation> invite(std::int64_t org_id, std::string_view email, OrgRole role, std::int64_t invited_by);
  Result<Invitation> resend(std::int64_t invitation_id);
  Status revoke(std::int64_t invitation_id);
  Result<std::vector<Invitation>> invitations(std::int64_t org_id);
  // The invitation a link names, still pending and unexpired.
  Result<Invitation> invitation(std::string_view token);
  // Accepting needs the invited address: `email` is the signed-in user's.
  Result<Invitation> accept(std::string_view token, std::int64_t user_id, std::string_view email);
  Status reject(std::string_view token);

 private:
  db::ConnectionPool& host_;
};

}  // namespace calyx::orgs
