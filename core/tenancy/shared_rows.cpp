// Shared isolation on both backends, and the per-tenant PostgreSQL roles.
#include "tenancy/shared_rows.hpp"

#include "tenancy/sqlite_table_ddl.hpp"

#include <calyx/db/dialect.hpp>

#include <fmt/format.h>
#include <soci/soci.h>

#include <vector>

namespace calyx::tenancy {
namespace {

constexpr std::string_view kRowsPrefix = "calyx_rows_";

Error soci_failure(const std::exception& e, std::string_view what) {
  std::string message = e.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Error::failed(fmt::format("{}: {}", what, message));
}

Status run(db::Lease& lease, const std::string& sql) {
  return db::dialect::execute_script(lease.session(), lease.backend(), sql);
}

// A module table's name, checked: it is spliced into DDL, and `calyx_` names belong to the host.
Result<std::string> module_table(std::string_view name) {
  if (name.starts_with("calyx_")) {
    return Error::invalid_argument(fmt::format("table '{}': names starting with calyx_ are reserved for the host", name));
  }
  return db::dialect::quote_identifier(name);
}

std::vector<std::string> strings(db::Lease& lease, const std::string& sql, const std::string& parameter = {}) {
  std::vector<std::string> out;
  std::string value;
  soci::statement st = parameter.empty() ? (lease.session().prepare << sql, soci::into(value))
                                         : (lease.session().prepare << sql, soci::into(value), soci::use(parameter));
  st.execute();
  while (st.fetch()) out.push_back(value);
  return out;
}

// A number from a dynamically typed row: SQLite's pragmas report no declared types.
long long number_at(const soci::row& row, std::size_t i) {
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_integer: return row.get<int>(i);
    case soci::dt_long_long: return row.get<long long>(i);
    case soci::dt_unsigned_long_long: return static_cast<long long>(row.get<unsigned long long>(i));
    case soci::dt_double: return static_cast<long long>(row.get<double>(i));
    default: return std::stoll(row.get<std::string>(i));
  }
}

// ---- SQLite ---------------------------------------------------------------------------------------------

struct Column {
  std::string name, default_sql;
  bool key = false;
};

std::vector<Column> sqlite_columns(db::Lease& lease, const std::string& quoted_table) {
  std::vector<Column> columns;
  soci::rowset<soci::row> rows = (lease.session().prepare << "PRAGMA table_info(" + quoted_table + ")");
  for (const auto& row : rows) {
    Column c;
    c.name = row.get<std::string>(1);
    if (row.get_indicator(4) == soci::i_ok) c.default_sql = row.get<std::string>(4);
    c.key = number_at(row, 5) > 0;
    columns.push_back(std::move(c));
  }
  return columns;
}

// Rebuilds a fresh module table in its shared form (SQLite cannot alter constraints): the rows it may hold
// (seeded by a migration, hence nobody's) get tenant 0, which no call ever sees.
Status rebuild_sqlite_table(db::Lease& lease, const std::string& table, const std::string& create_sql) {
  auto quoted = db::dialect::quote_identifier(table).value();
  auto temporary = "calyx_new_" + table;
  auto ddl = shared_table_ddl(create_sql, temporary);
  if (!ddl) return ddl.error().with_context(fmt::format("table '{}'", table));
  std::vector<std::string> indexes =
      strings(lease, "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = :t", table);
  std::string columns;
  for (const auto& column : sqlite_columns(lease, quoted)) {
    auto name = db::dialect::quote_identifier(column.name);
    if (!name) return name.error().with_context(fmt::format("table '{}'", table));
    columns += (columns.empty() ? "" : ", ") + *name;
  }
  std::string script = *ddl + ";\n" +
                       fmt::format("INSERT INTO \"{}\" ({}, tenant_id) SELECT {}, 0 FROM {};\n", temporary, columns,
                                   columns, quoted) +
                       fmt::format("DROP TABLE {};\nALTER TABLE \"{}\" RENAME TO {};\n", quoted, temporary, quoted);
  for (const auto& index : indexes) script += index + ";\n";
  return run(lease, script);
}

// Unique indexes made by CREATE UNIQUE INDEX must start with tenant_id as well.
Status scope_sqlite_unique_indexes(db::Lease& lease, const std::string& table) {
  auto quoted = db::dialect::quote_identifier(table).value();
  soci::rowset<soci::row> list = (lease.session().prepare << "PRAGMA index_list(" + quoted + ")");
  std::vector<std::string> to_fix;
  for (const auto& row : list) {
    if (number_at(row, 2) == 0 || row.get<std::string>(3) != "c") continue;
    std::string name = row.get<std::string>(1), first;
    lease.session() << "SELECT name FROM pragma_index_info(:i) WHERE seqno = 0", soci::use(name), soci::into(first);
    if (first != "tenant_id") to_fix.push_back(name);
  }
  for (const auto& name : to_fix) {
    std::string sql;
    lease.session() << "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n", soci::use(name), soci::into(sql);
    auto ddl = shared_index_ddl(sql);
    if (!ddl) return ddl.error();
    auto quoted_index = db::dialect::quote_identifier(name);
    if (!quoted_index) return quoted_index.error();
    if (auto ok = run(lease, "DROP INDEX " + *quoted_index + ";\n" + *ddl); !ok) return ok;
  }
  return Ok{};
}

// The view under the module's table name and the triggers that write through it.
Status create_sqlite_view(db::Lease& lease, const std::string& table) {
  auto quoted = db::dialect::quote_identifier(table).value();
  auto rows = db::dialect::quote_identifier(std::string(kRowsPrefix) + table);
  if (!rows) return Error::invalid_argument(fmt::format("table name '{}' is too long for shared mode", table));
  std::vector<Column> columns;
  for (auto& column : sqlite_columns(lease, *rows)) {
    if (column.name != "tenant_id") columns.push_back(column);
  }
  std::string names, values, assignments, match;
  bool has_key = std::any_of(columns.begin(), columns.end(), [](const Column& c) { return c.key; });
  for (const auto& column : columns) {
    auto name = db::dialect::quote_identifier(column.name);
    if (!name) return name.error().with_context(fmt::format("table '{}'", table));
    names += (names.empty() ? "" : ", ") + *name;
    // A view's INSTEAD OF trigger receives NULL for a column the INSERT left out: apply the column default.
    values += (values.empty() ? "" : ", ") +
              (column.default_sql.empty() ? "NEW." + *name : fmt::format("COALESCE(NEW.{}, ({}))", *name, column.default_sql));
    assignments += (assignments.empty() ? "" : ", ") + fmt::format("{0} = NEW.{0}", *name);
    if (column.key || !has_key) match += fmt::format(" AND {0} IS OLD.{0}", *name);
  }
  std::string view = quoted, base = *rows;
  std::string script = fmt::format(
      "CREATE VIEW {view} AS SELECT {names} FROM {base} WHERE tenant_id = calyx_tenant();\n"
      "CREATE TRIGGER \"calyx_insert_{table}\" INSTEAD OF INSERT ON {view} BEGIN\n"
      "  SELECT RAISE(ABORT, 'no tenant is in scope for this statement') WHERE calyx_tenant() = 0;\n"
      "  INSERT INTO {base} ({names}, tenant_id) VALUES ({values}, calyx_tenant());\n"
      "  SELECT calyx_changed(changes());\nEND;\n"
      "CREATE TRIGGER \"calyx_update_{table}\" INSTEAD OF UPDATE ON {view} BEGIN\n"
      "  UPDATE {base} SET {assignments} WHERE tenant_id = calyx_tenant(){match};\n"
      "  SELECT calyx_changed(changes());\nEND;\n"
      "CREATE TRIGGER \"calyx_delete_{table}\" INSTEAD OF DELETE ON {view} BEGIN\n"
      "  DELETE FROM {base} WHERE tenant_id = calyx_tenant(){match};\n"
      "  SELECT calyx_changed(changes());\nEND;\n",
      fmt::arg("view", view), fmt::arg("names", names), fmt::arg("base", base), fmt::arg("table", table),
      fmt::arg("values", values), fmt::arg("assignments", assignments), fmt::arg("match", match));
  return run(lease, script);
}

Status close_sqlite(db::Lease& lease) {
  std::vector<std::pair<std::string, std::string>> tables;
  {
    soci::rowset<soci::row> rows = (lease.session().prepare << "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                                               "AND name NOT LIKE 'sqlite_%' AND name <> 'calyx_schema_migrations' "
                                                               "ORDER BY name");
    for (const auto& row : rows) tables.emplace_back(row.get<std::string>(0), row.get<std::string>(1));
  }
  for (const auto& [table, sql] : tables) {
    auto quoted = module_table(table);
    if (!quoted) return quoted.error();
    auto columns = sqlite_columns(lease, *quoted);
    bool scoped = std::any_of(columns.begin(), columns.end(), [](const Column& c) { return c.name == "tenant_id"; });
    if (!scoped) {
      if (auto ok = rebuild_sqlite_table(lease, table, sql); !ok) return ok;
    }
    if (auto ok = scope_sqlite_unique_indexes(lease, table); !ok) return ok;
    auto index = db::dialect::quote_identifier("calyx_tenant_" + table);
    if (!index) return index.error();
    // Renaming rewrites the references other tables' foreign keys make to it.
    if (auto ok = run(lease, fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} (tenant_id);\nALTER TABLE {} RENAME TO \"{}{}\"",
                                         *index, *quoted, *quoted, kRowsPrefix, table));
        !ok) {
      return ok;
    }
    if (auto ok = create_sqlite_view(lease, table); !ok) return ok;
  }
  return Ok{};
}

Status open_sqlite(db::Lease& lease) {
  auto tables = strings(lease, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'calyx\\_rows\\_%' ESCAPE '\\' ORDER BY name");
  std::string script;
  for (const auto& rows : tables) {
    std::string table = rows.substr(kRowsPrefix.size());
    script += fmt::format("DROP VIEW IF EXISTS \"{0}\";\nALTER TABLE \"{1}\" RENAME TO \"{0}\";\n", table, rows);
  }
  return script.empty() ? Status(Ok{}) : run(lease, script);
}

// ---- PostgreSQL -----------------------------------------------------------------------------------------

constexpr std::string_view kTenantSetting = "NULLIF(current_setting('calyx.tenant_id', true), '')::bigint";

// Puts tenant_id first in a key definition as PostgreSQL prints it ("UNIQUE (slug)", "... USING btree (a)").
std::string tenant_first(std::string definition, std::size_t from = 0) {
  auto paren = definition.find('(', from);
  if (paren != std::string::npos) definition.insert(paren + 1, "tenant_id, ");
  return definition;
}

Status scope_postgresql_table(db::Lease& lease, const std::string& schema, const std::string& table) {
  auto quoted_table = module_table(table);
  if (!quoted_table) return quoted_table.error();
  std::string relation = db::dialect::quote_identifier(schema).value() + "." + *quoted_table;
  auto& s = lease.session();
  int has_tenant = 0;
  s << "SELECT COUNT(*)::int FROM pg_attribute WHERE attrelid = CAST(:r AS regclass) AND attname = 'tenant_id' "
       "AND NOT attisdropped",
      soci::use(relation), soci::into(has_tenant);
  std::string script;
  if (!has_tenant) {
    script += fmt::format(
        "ALTER TABLE {0} ADD COLUMN tenant_id BIGINT;\nUPDATE {0} SET tenant_id = 0;\n"
        "ALTER TABLE {0} ALTER COLUMN tenant_id SET DEFAULT {1}, ALTER COLUMN tenant_id SET NOT NULL;\n"
        "CREATE INDEX ON {0} (tenant_id);\n",
        relation, kTenantSetting);
  }
  int has_policy = 0;
  s << "SELECT COUNT(*)::int FROM pg_policy WHERE polrelid = CAST(:r AS regclass) AND polname = 'calyx_tenant_rows'",
      soci::use(relation), soci::into(has_policy);
  if (!has_policy) {
    script += fmt::format(
        "ALTER TABLE {0} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;\n"
        "CREATE POLICY calyx_tenant_rows ON {0} USING (tenant_id = {1}) WITH CHECK (tenant_id = {1});\n",
        relation, kTenantSetting);
  }
  if (!script.empty()) {
    if (auto ok = run(lease, script); !ok) return ok.error().with_context(fmt::format("table '{}'", table));
  }
  // Keys: every unique or primary key not already led by tenant_id, except a generated single-column key
  // (a sequence or identity: unique across tenants already, and what foreign keys usually point at).
  std::vector<std::string> rewrites;
  soci::rowset<soci::row> keys = (s.prepare << R"(
      SELECT quote_ident(con.conname), pg_get_constraintdef(con.oid)
      FROM pg_constraint con
      JOIN pg_attribute t ON t.attrelid = con.conrelid AND t.attname = 'tenant_id'
      WHERE con.conrelid = CAST(:r AS regclass) AND con.contype IN ('p', 'u') AND con.conkey[1] <> t.attnum
        AND NOT (array_length(con.conkey, 1) = 1 AND EXISTS (
          SELECT 1 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
            AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')))
      ORDER BY con.conname)", soci::use(relation));
  for (const auto& row : keys) {
    rewrites.push_back(fmt::format("ALTER TABLE {0} DROP CONSTRAINT {1}, ADD CONSTRAINT {1} {2};", relation,
                                   row.get<std::string>(0), tenant_first(row.get<std::string>(1))));
  }
  soci::rowset<soci::row> indexes = (s.prepare << R"(
      SELECT quote_ident(ic.relname), pg_get_indexdef(i.indexrelid)
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_attribute t ON t.attrelid = i.indrelid AND t.attname = 'tenant_id'
      WHERE i.indrelid = CAST(:r AS regclass) AND i.indisunique AND i.indkey[0] <> t.attnum
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
      ORDER BY ic.relname)", soci::use(relation));
  for (const auto& row : indexes) {
    std::string definition = row.get<std::string>(1);
    rewrites.push_back(fmt::format("DROP INDEX {}.{};\n{};", db::dialect::quote_identifier(schema).value(),
                                   row.get<std::string>(0), tenant_first(definition, definition.find(" USING "))));
  }
  for (const auto& rewrite : rewrites) {
    if (auto ok = run(lease, rewrite); !ok) {
      return Error::failed(fmt::format("table '{}': cannot make its keys unique per tenant ({}): {}", table, rewrite,
                                       ok.error().message()));
    }
  }
  return Ok{};
}

Status close_postgresql(db::Lease& lease) {
  std::string schema(shared_rows::kPostgresSchema);
  auto tables = strings(lease,
                        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :s AND c.relkind IN ('r', 'p') AND c.relname <> 'calyx_schema_migrations' "
                        "ORDER BY c.relname",
                        schema);
  for (const auto& table : tables) {
    if (auto ok = scope_postgresql_table(lease, schema, table); !ok) return ok;
  }
  return Ok{};
}

}  // namespace

namespace shared_rows {

Status open_for_migration(db::Lease& lease) {
  try {
    return lease.backend() == db::Backend::sqlite ? open_sqlite(lease) : Status(Ok{});
  } catch (const std::exception& e) {
    return soci_failure(e, "opening the shared tables for migration");
  }
}

Result<std::set<std::string>> shared_tables(db::Lease& lease) {
  try {
    std::vector<std::string> names =
        lease.backend() == db::Backend::sqlite
            ? strings(lease, "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS "
                             "(SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'tenant_id')")
            : strings(lease, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
                             "WHERE n.nspname = :s AND c.relkind IN ('r', 'p')",
                      std::string(kPostgresSchema));
    return std::set<std::string>(names.begin(), names.end());
  } catch (const std::exception& e) {
    return soci_failure(e, "listing the shared tables");
  }
}

Status close_after_migration(db::Lease& lease) {
  try {
    return lease.backend() == db::Backend::sqlite ? close_sqlite(lease) : close_postgresql(lease);
  } catch (const std::exception& e) {
    return soci_failure(e, "scoping the shared tables to tenants");
  }
}

Status purge_tenant(db::Lease& lease, std::int64_t tenant_id) {
  try {
    std::string script;
    if (lease.backend() == db::Backend::sqlite) {
      for (const auto& rows : strings(lease, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE "
                                             "'calyx\\_rows\\_%' ESCAPE '\\'")) {
        script += fmt::format("DELETE FROM \"{}\" WHERE tenant_id = {};\n", rows, tenant_id);
      }
    } else {
      std::string schema(kPostgresSchema);
      // Row-level security is forced, also for the tables' owner: scope to the tenant being purged.
      script = fmt::format("SET LOCAL calyx.tenant_id = '{}';\n", tenant_id);
      for (const auto& table : strings(lease,
                                       "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                       "WHERE n.nspname = :s AND c.relkind IN ('r', 'p') "
                                       "AND c.relname <> 'calyx_schema_migrations'",
                                       schema)) {
        script += fmt::format("DELETE FROM \"{}\".\"{}\" WHERE tenant_id = {};\n", schema, table, tenant_id);
      }
    }
    return script.empty() ? Status(Ok{}) : run(lease, script);
  } catch (const std::exception& e) {
    return soci_failure(e, "deleting the tenant's shared rows");
  }
}

}  // namespace shared_rows

namespace roles {

std::string role_for(std::string_view database, std::string_view schema) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a: stable across builds and platforms
  for (char c : std::string(database) + "/" + std::string(schema)) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return fmt::format("calyx_tenant_{:016x}", hash);
}

Result<std::string> ensure_role_sql(const std::string& role) {
  auto quoted = db::dialect::quote_identifier(role);
  if (!quoted) return quoted.error();
  return fmt::format("DO $calyx$ BEGIN CREATE ROLE {0} NOLOGIN NOINHERIT; "
                     "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $calyx$;\n"
                     "GRANT {0} TO CURRENT_USER;\n",
                     *quoted);
}

Result<std::string> grant_schema_sql(const std::string& schema, const std::string& role, bool created) {
  auto quoted_schema = db::dialect::quote_identifier(schema);
  auto quoted_role = db::dialect::quote_identifier(role);
  if (!quoted_schema) return quoted_schema.error();
  if (!quoted_role) return quoted_role.error();
  // The ledger exists before the default privileges are set, so it is the one table the role never gets; every
  // table and sequence the host's migrations create later is granted as it is created. A schema that existed
  // before may hold tables already: they are granted now, the ledger (whoever made it) revoked.
  std::string existing = created ? std::string()
                                 : fmt::format("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {0} TO {1};\n"
                                               "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {0} TO {1};\n"
                                               "REVOKE ALL ON {0}.calyx_schema_migrations FROM {1};\n",
                                               *quoted_schema, *quoted_role);
  return fmt::format("CREATE TABLE IF NOT EXISTS {0}.calyx_schema_migrations (component TEXT NOT NULL, "
                     "version BIGINT NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL, "
                     "duration_ms BIGINT NOT NULL, PRIMARY KEY (component, version));\n"
                     "GRANT USAGE ON SCHEMA {0} TO {1};\n"
                     "{2}"
                     "ALTER DEFAULT PRIVILEGES IN SCHEMA {0} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {1};\n"
                     "ALTER DEFAULT PRIVILEGES IN SCHEMA {0} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {1};\n",
                     *quoted_schema, *quoted_role, existing);
}

Status drop_role(db::Lease& lease, const std::string& role) {
  auto quoted = db::dialect::quote_identifier(role);
  if (!quoted) return quoted.error();
  return run(lease, fmt::format("DO $calyx$ BEGIN DROP OWNED BY {0}; DROP ROLE {0}; "
                                "EXCEPTION WHEN undefined_object THEN NULL; END $calyx$",
                                *quoted));
}

}  // namespace roles
}  // namespace calyx::tenancy
