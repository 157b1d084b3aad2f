// The audit log on the host database.
#include <calyx/audit/audit_log.hpp>

#include <calyx/clock.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace calyx::audit {

AuditLog::AuditLog(db::ConnectionPool& host) : host_(host) {}

void AuditLog::record(Entry e) {
  e.at = utc_now();
  auto lease = host_.acquire();
  if (!lease) {
    spdlog::error("audit: cannot record {}: {}", e.action, lease.error().message());
    return;
  }
  try {
    long long actor = e.actor_user_id.value_or(0), impersonator = e.impersonator_id.value_or(0),
              tenant = e.tenant_id.value_or(0);
    soci::indicator actor_i = e.actor_user_id ? soci::i_ok : soci::i_null,
                    impersonator_i = e.impersonator_id ? soci::i_ok : soci::i_null,
                    tenant_i = e.tenant_id ? soci::i_ok : soci::i_null;
    lease->session() << "INSERT INTO calyx_audit_log (at, actor_kind, actor_user_id, impersonator_id, action, tenant_id, "
                        "target, metadata, ip) VALUES (:at, :k, :a, :i, :act, :t, :tg, :m, :ip)",
        soci::use(e.at), soci::use(e.actor_kind), soci::use(actor, actor_i), soci::use(impersonator, impersonator_i),
        soci::use(e.action), soci::use(tenant, tenant_i), soci::use(e.target), soci::use(e.metadata), soci::use(e.ip);
  } catch (const std::exception& ex) {
    spdlog::error("audit: cannot record {}: {}", e.action, ex.what());
  }
}

Result<std::vector<Entry>> AuditLog::query(const std::string& where, long long value, std::size_t limit) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<Entry> out;
  try {
    Entry e;
    long long id = 0, actor = 0, impersonator = 0, tenant = 0;
    soci::indicator actor_i, impersonator_i, tenant_i;
    long long max = static_cast<long long>(std::min<std::size_t>(limit, 1000));
    soci::statement rows = (lease->session().prepare
                                << "SELECT id, at, actor_kind, actor_user_id, impersonator_id, action, tenant_id, target, "
                                   "metadata, ip FROM calyx_audit_log WHERE " + where + " ORDER BY id DESC LIMIT :lim",
                            soci::into(id), soci::into(e.at), soci::into(e.actor_kind), soci::into(actor, actor_i),
                            soci::into(impersonator, impersonator_i), soci::into(e.action), soci::into(tenant, tenant_i),
                            soci::into(e.target), soci::into(e.metadata), soci::into(e.ip), soci::use(value),
                            soci::use(max));
    rows.execute();
    while (rows.fetch()) {
      e.id = id;
      e.actor_user_id = actor_i == soci::i_ok ? std::optional(actor) : std::nullopt;
      e.impersonator_id = impersonator_i == soci::i_ok ? std::optional(impersonator) : std::nullopt;
      e.tenant_id = tenant_i == soci::i_ok ? std::optional(tenant) : std::nullopt;
      out.push_back(e);
    }
  } catch (const std::exception& ex) {
    return Error::failed(fmt::format("reading the audit log: {}", ex.what()));
  }
  return out;
}

Result<std::vector<Entry>> AuditLog::latest(std::size_t limit) { return query("id > :v", 0, limit); }

Result<std::vector<Entry>> AuditLog::for_tenant(std::int64_t tenant_id, std::size_t limit) {
  return query("tenant_id = :v", tenant_id, limit);
}

Result<std::vector<Entry>> AuditLog::for_user(std::int64_t user_id, std::size_t limit) {
  return query("actor_user_id = :v", user_id, limit);
}

}  // namespace calyx::audit
