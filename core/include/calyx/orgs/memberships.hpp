// Tenant memberships: a user's tenant role (owner, admin, member), the module roles granted to them in that
// tenant, and permissions explicitly prohibited to them there. The last owner of a tenant cannot be removed
// or demoted.
// Thread-safety: all members are safe to call from several threads (state lives in the database).
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace calyx::orgs {

enum class TenantRole { owner, admin, member };
std::string_view to_string(TenantRole role);
Result<TenantRole> parse_tenant_role(std::string_view text);

// What a user holds in one tenant.
struct Membership {
  TenantRole role = TenantRole::member;
  std::vector<std::string> module_roles;  // e.g. "blog.editor"
  std::vector<std::string> prohibited;    // permissions denied whatever the roles grant
};

struct Member {
  std::int64_t user_id = 0;
  std::string email, name;
  Membership membership;
};

class Memberships {
 public:
  explicit Memberships(db::ConnectionPool& host);

  // Adds the user, or changes their tenant role (refused when it would leave the tenant without an owner).
  Status set_role(std::int64_t tenant_id, std::int64_t user_id, TenantRole role);
  Status remove(std::int64_t tenant_id, std::int64_t user_id);
  // The user's membership, or nullopt when they are not a member.
  Result<std::optional<Membership>> of(std::int64_t tenant_id, std::int64_t user_id);
  Result<std::vector<Member>> members(std::int64_t tenant_id);

  // Module roles and prohibitions of a member (added idempotently).
  Status grant_module_role(std::int64_t tenant_id, std::int64_t user_id, std::string_view role);
  Status revoke_module_role(std::int64_t tenant_id, std::int64_t user_id, std::string_view role);
  Status prohibit(std::int64_t tenant_id, std::int64_t user_id, std::string_view permission);
  Status allow(std::int64_t tenant_id, std::int64_t user_id, std::string_view permission);

 private:
  Status rule(std::int64_t tenant_id, std::int64_t user_id, std::string_view effect, std::string_view subject, bool add);
  db::ConnectionPool& host_;
};

// An invitation to one workspace (a tenant) by email.
struct TenantInvitation {
  std::int64_t id = 0, tenant_id = 0;
  std::string email;
  TenantRole role = TenantRole::member;
  std::string status;  // pending, accepted, revoked
  std::int64_t expires_at = 0;
  std::string token;   // only when just issued (to be mailed); never stored
};

// Invitations to a workspace: a single-use link, valid for 7 days, that makes the invited address a member
// with the role. Issuing one again for the same address replaces the pending one (a new link; the old dies).
// Thread-safety: all members are safe to call from several threads.
class TenantInvitations {
 public:
  explicit TenantInvitations(db::ConnectionPool& host);
  // `invited_by` 0: the system.
  Result<TenantInvitation> invite(std::int64_t tenant_id, std::string_view email, TenantRole role, std::int64_t invited_by);
  // Pending and unexpired, newest first.
  Result<std::vector<TenantInvitation>> pending(std::int64_t tenant_id);
  Status revoke(std::int64_t tenant_id, std::int64_t invitation_id);
  // The pending, unexpired invitation a link names, for `tenant_id` only.
  Result<TenantInvitation> find(std::int64_t tenant_id, std::string_view token);
  // Makes `user_id` a member with the invitation's role and marks it accepted (one transaction); the user's
  // address must be the invited one.
  Result<TenantInvitation> accept(std::int64_t tenant_id, std::string_view token, std::int64_t user_id, std::string_view email);

 private:
  db::ConnectionPool& host_;
};

}  // namespace calyx::orgs
