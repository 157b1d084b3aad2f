// Shared isolation: the module tables of every shared tenant live once (PostgreSQL schema `calyx_shared`,
// SQLite file `_shared.db`), each row tagged with its tenant_id, and the host makes a module's unfiltered SQL
// see only the rows of the call's tenant:
// - PostgreSQL: tenant_id defaults to the transaction-local setting `calyx.tenant_id`; row-level security,
//   enabled and forced, lets a statement read and write only rows of that tenant; the module's statements run
//   as a role without BYPASSRLS.
// - SQLite: the table is renamed `calyx_rows_<name>` and a view under the original name shows the rows of
//   calyx_tenant() (set per call on the connection), with INSTEAD OF triggers that write through it.
// In both, every UNIQUE / natural PRIMARY KEY gets tenant_id first, so two tenants may use the same slug.
// The functions run inside a migration's transaction (Migrator scope hooks). Private to core/tenancy.
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/result.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace calyx::tenancy::shared_rows {

inline constexpr std::string_view kPostgresSchema = "calyx_shared";
inline constexpr std::string_view kSqliteFile = "_shared.db";  // slugs start with a letter: no tenant clashes

// SQLite: turns the views back into the plain tables, so a migration can alter them. PostgreSQL: nothing.
Status open_for_migration(db::Lease& lease);

// The module tables of the scope that are shared already (they have tenant_id), during a migration.
Result<std::set<std::string>> shared_tables(db::Lease& lease);

// Makes every module table of the scope shared and row-scoped (idempotent).
Status close_after_migration(db::Lease& lease);

// Deletes one tenant's rows from every shared table.
Status purge_tenant(db::Lease& lease, std::int64_t tenant_id);

}  // namespace calyx::tenancy::shared_rows

namespace calyx::tenancy::roles {

// The PostgreSQL role whose privileges a tenant's module calls run with: one per (database, schema), so a
// module of one tenant cannot name another tenant's schema. Roles are cluster-wide, hence the database.
std::string role_for(std::string_view database, std::string_view schema);

// SQL that creates the role if missing (NOLOGIN, no BYPASSRLS) and lets the host's login switch to it.
Result<std::string> ensure_role_sql(const std::string& role);

// Usage of `schema` and read/write on its tables and sequences — those there now and, through default
// privileges, those the host's migrations create later — except the migration ledger. No CREATE: schema
// changes come through migrations, run as the host. `created` says the schema was created empty in the same
// transaction: there are no tables or sequences yet to grant.
Result<std::string> grant_schema_sql(const std::string& schema, const std::string& role, bool created);

// Revokes what the role holds in this database and drops it (a purged tenant).
Status drop_role(db::Lease& lease, const std::string& role);

}  // namespace calyx::tenancy::roles
