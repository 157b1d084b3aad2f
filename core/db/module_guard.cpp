// calyx_tenant() and the module-call authorizer on SQLite connections.
#include <calyx/db/module_guard.hpp>

#include "db/native.hpp"

#include <fmt/format.h>

#include <cstring>
#include <string_view>

namespace calyx::db {
namespace {

using namespace sqlite_api;

// The tenant travels in the function's user-data pointer: re-registering the function is how a call scopes
// the connection, so no state outlives the registration and nothing is shared between connections.
void calyx_tenant(sqlite3_context* context, int, sqlite3_value**) {
  sqlite3_result_int64(context, static_cast<sqlite3_int64>(reinterpret_cast<std::intptr_t>(sqlite3_user_data(context))));
}

int register_tenant(sqlite3* db, std::int64_t tenant) {
  return sqlite3_create_function_v2(db, "calyx_tenant", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                    reinterpret_cast<void*>(static_cast<std::intptr_t>(tenant)), &calyx_tenant,
                                    nullptr, nullptr, nullptr);
}

void calyx_changed(sqlite3_context* context, int, sqlite3_value** argv) {
  if (auto* counter = static_cast<std::int64_t*>(sqlite3_user_data(context))) *counter += sqlite3_value_int64(argv[0]);
  sqlite3_result_null(context);
}

int register_counter(sqlite3* db, std::int64_t* counter) {
  return sqlite3_create_function_v2(db, "calyx_changed", 1, SQLITE_UTF8, counter, &calyx_changed, nullptr, nullptr,
                                    nullptr);
}

bool host_table(const char* name) { return name && std::strncmp(name, "calyx_", 6) == 0; }

int authorize(void* data, int action, const char* first, const char* second, const char*, const char* inner) {
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_TRANSACTION:  // BEGIN, COMMIT, ROLLBACK: the call's transaction is the host's
      return SQLITE_DENY;
    case SQLITE_READ:
    case SQLITE_UPDATE:
    case SQLITE_INSERT:
    case SQLITE_DELETE: {
      // Host tables only through the shared-mode views and their triggers (`inner` names them), and the
      // foreign-key actions such a statement sets off (coded without a trigger name).
      if (!host_table(first)) return SQLITE_OK;
      auto* state = static_cast<ModuleStatementState*>(data);
      if (inner != nullptr) {
        if (state) state->through_view = true;
        return SQLITE_OK;
      }
      bool foreign_key_action = (action == SQLITE_UPDATE || action == SQLITE_DELETE || action == SQLITE_READ) &&
                                state && state->through_view && std::strncmp(first, "calyx_rows_", 11) == 0;
      return foreign_key_action ? SQLITE_OK : SQLITE_DENY;
    }
    case SQLITE_PRAGMA: {
      std::string_view pragma = first ? first : "";
      bool read_only_schema = pragma == "table_info" || pragma == "table_xinfo" || pragma == "index_list" ||
                              pragma == "index_info" || pragma == "index_xinfo" || pragma == "foreign_key_list";
      return read_only_schema && !host_table(second) ? SQLITE_OK : SQLITE_DENY;
    }
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_ALTER_TABLE:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return SQLITE_DENY;  // schema changes belong in the module's migrations
    default:
      return SQLITE_OK;  // temporary objects, savepoints (inside the call's transaction), functions, recursive reads
  }
}

}  // namespace

void register_sqlite_scope_function(soci::session& session) {
  if (sqlite3* db = native_sqlite(session)) {
    register_tenant(db, 0);
    register_counter(db, nullptr);
  }
}

Status guard_sqlite_module_call(soci::session& session, std::int64_t row_tenant, std::int64_t* changed_rows,
                                ModuleStatementState* statement_state) {
  sqlite3* db = native_sqlite(session);
  if (!db) return Error::internal("not an open SQLite session");
  if (register_tenant(db, row_tenant) != SQLITE_OK || register_counter(db, changed_rows) != SQLITE_OK) {
    return Error::internal(fmt::format("cannot scope the connection to its tenant: {}", sqlite3_errmsg(db)));
  }
  sqlite3_set_authorizer(db, &authorize, statement_state);
  return Ok{};
}

void release_sqlite_module_call(soci::session& session) {
  sqlite3* db = native_sqlite(session);
  if (!db) return;
  sqlite3_set_authorizer(db, nullptr, nullptr);
  // These fail only while a statement is still active; the next call registers its own values anyway.
  register_tenant(db, 0);
  register_counter(db, nullptr);
}

}  // namespace calyx::db
