// The database behind a module call: statements run in the data scope the host chose for the call's tenant
// (a pool, and on PostgreSQL a schema), inside one transaction per call that commits when the callback
// succeeds and rolls back when it fails; a module's own begin/commit/rollback nest as savepoints. Module
// settings live in the host's database (calyx_module_settings), keyed by tenant and module.
// Thread-safety: one instance per call, used by that call's thread only.
#pragma once

#include <calyx/db/module_guard.hpp>
#include <calyx/db/pool.hpp>
#include <calyx/modules/call.hpp>
#include <calyx/modules/registry.hpp>

#include <memory>
#include <optional>
#include <set>
#include <string>

namespace calyx::modules {

namespace pg {
class CallStatements;
}

// Where a tenant's module data lives.
struct DataScope {
  DataScope() = default;
  DataScope(db::ConnectionPool* database, std::string schema_name = {}) : pool(database), schema(std::move(schema_name)) {}

  db::ConnectionPool* pool = nullptr;  // the tenant's database
  std::string schema;                  // PostgreSQL schema to scope statements to; empty: the pool's default
  std::string role;                    // PostgreSQL role the module's statements run as; empty: the login's
  std::int64_t row_tenant = 0;         // shared tables: the tenant whose rows the call sees; 0: not shared
};

class DatabaseCallServices : public CallServices {
 public:
  // `host_pool` holds calyx_module_settings; `registry` and `active_modules` serve run_hook.
  DatabaseCallServices(DataScope scope, db::ConnectionPool& host_pool, const ModuleRegistry* registry,
                       std::set<std::string, std::less<>> active_modules);
  ~DatabaseCallServices() override;  // rolls back whatever is still open

  // Ends the call's transaction: commit when `success`, otherwise roll back. Returns the commit's failure.
  Status finish(bool success);

  Result<std::int64_t> db_execute(calyx_call& call, std::string_view sql, std::span<const calyx_value> params) override;
  Result<std::unique_ptr<RowCursor>> db_query(calyx_call& call, std::string_view sql,
                                              std::span<const calyx_value> params) override;
  Status db_begin(calyx_call& call) override;
  Status db_commit(calyx_call& call) override;
  Status db_rollback(calyx_call& call) override;
  Result<std::string> settings_get(calyx_call& call) override;
  Status settings_set(calyx_call& call, std::string_view json) override;
  Result<std::string> run_hook(calyx_call& call, std::string_view point, std::string_view data_json) override;

 private:
  // The call's connection, with its transaction open and scoped; opened on first use.
  Result<db::Lease*> connection(const calyx_call& call);
  Status open_call(const calyx_call& call);
  Status savepoint_command(calyx_call& call, const std::string& sql);
  Result<db::Lease> host_lease();

  DataScope scope_;
  db::ConnectionPool& host_pool_;
  const ModuleRegistry* registry_;
  std::set<std::string, std::less<>> active_;
  std::optional<db::Lease> lease_;
  std::unique_ptr<pg::CallStatements> postgresql_;  // PostgreSQL: the call's statements, scoped (libpq)
  int savepoints_ = 0;
  std::int64_t trigger_changes_ = 0;          // SQLite: rows the last statement changed through shared-mode views
  db::ModuleStatementState statement_state_;  // SQLite: the authorizer's view of the statement being prepared
};

}  // namespace calyx::modules
