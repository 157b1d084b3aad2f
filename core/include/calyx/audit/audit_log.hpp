// The audit log: append-only records of who (a user, a platform admin, the system, or an impersonator acting
// as a user) did what, in which tenant, to which target, with JSON metadata, the client IP and the time.
// Queryable by tenant and by user. Recording never fails the action it records: a failure is logged.
// Thread-safety: all members are safe to call from several threads.
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace calyx::audit {

struct Entry {
  std::int64_t id = 0;
  std::string at;
  std::string actor_kind = "user";  // user, admin, system, impersonator
  std::optional<std::int64_t> actor_user_id, impersonator_id, tenant_id;
  std::string action;               // e.g. "session.sign_in", "session.sign_in_failed", "member.role_changed"
  std::string target, metadata = "{}", ip;
};

class AuditLog {
 public:
  explicit AuditLog(db::ConnectionPool& host);

  void record(Entry entry);
  // Newest first; `limit` at most 1000.
  Result<std::vector<Entry>> for_tenant(std::int64_t tenant_id, std::size_t limit = 100);
  Result<std::vector<Entry>> for_user(std::int64_t user_id, std::size_t limit = 100);
  // Every tenant's and the platform's entries, newest first.
  Result<std::vector<Entry>> latest(std::size_t limit = 100);

 private:
  Result<std::vector<Entry>> query(const std::string& where, long long value, std::size_t limit);
  db::ConnectionPool& host_;
};

}  // namespace calyx::audit
