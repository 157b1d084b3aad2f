// The SQLite side of a module call's confinement. While a call runs, its connection answers calyx_tenant()
// with the call's tenant (the shared-mode views filter on it) and an authorizer refuses what would let a
// module's SQL reach past its tenant: ATTACH/DETACH (other tenants' files), the host's own tables (every
// `calyx_*` table, including the rows behind shared-mode views, unless read through such a view), schema
// changes (they belong in migrations), pragmas other than the read-only schema ones, and BEGIN/COMMIT/ROLLBACK
// (the call's transaction is the host's: lift the authorizer before ending it).
// PostgreSQL gets the same confinement from a role and row-level security (see core/tenancy/shared_rows).
// Thread-safety: works on the one session it is given.
#pragma once

#include <calyx/result.hpp>

#include <cstdint>

namespace soci {
class session;
}

namespace calyx::db {

// What the authorizer has seen of the statement being prepared. Reset before each module statement.
struct ModuleStatementState {
  // The statement reaches shared rows through a view or its triggers; the foreign-key actions SQLite then
  // codes (ON DELETE CASCADE, ...) touch other shared tables without naming a trigger, and are allowed.
  bool through_view = false;
};

// Scopes the connection to `row_tenant` (0: no tenant) and installs the authorizer. Must succeed before any
// module statement runs on the connection. The shared-mode views write through INSTEAD OF triggers, whose
// changes sqlite3_changes() does not count: each trigger reports its rows through calyx_changed(n), which
// adds them to `*changed_rows` (valid until release).
Status guard_sqlite_module_call(soci::session& session, std::int64_t row_tenant, std::int64_t* changed_rows,
                                ModuleStatementState* statement_state);

// Lifts the authorizer and returns calyx_tenant() to 0, for the host's own work on the connection.
void release_sqlite_module_call(soci::session& session);

}  // namespace calyx::db
