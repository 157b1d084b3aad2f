// The native handles under SOCI's sessions (sqlite3*, PGconn*), for what SOCI does not offer: scripts,
// transaction state, SQLite functions and authorizers, PostgreSQL notifications. Private to core.
#pragma once

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace calyx::db {

// SOCI includes sqlite3.h inside namespace sqlite_api (soci::sqlite3 is its backend factory).
using sqlite_api::sqlite3;

// SOCI's shared libraries do not export the backends' typeinfo, so dynamic_cast cannot link; the backend
// name says which class it is. Both return nullptr for a session of the other backend.
inline sqlite3* native_sqlite(soci::session& session) {
  auto* backend = session.get_backend();
  if (!backend || backend->get_backend_name() != "sqlite3") return nullptr;
  return static_cast<soci::sqlite3_session_backend*>(backend)->conn_;
}

inline PGconn* native_postgresql(soci::session& session) {
  auto* backend = session.get_backend();
  if (!backend || backend->get_backend_name() != "postgresql") return nullptr;
  return static_cast<soci::postgresql_session_backend*>(backend)->conn_;
}

// Defines calyx_tenant() on a new SQLite connection, answering 0 (no tenant) until a module call scopes it.
void register_sqlite_scope_function(soci::session& session);

}  // namespace calyx::db
