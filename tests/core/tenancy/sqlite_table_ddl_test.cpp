// The SQLite shared-mode rewrite of a module's CREATE TABLE / CREATE INDEX statements.
#include "tenancy/sqlite_table_ddl.hpp"

#include <doctest/doctest.h>

using calyx::tenancy::shared_index_ddl;
using calyx::tenancy::shared_table_ddl;
using calyx::tenancy::shared_unique_statements;

TEST_CASE("shared tables: tenant_id added, unique columns and natural keys made unique per tenant") {
  auto ddl = shared_table_ddl(
      "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  slug TEXT NOT NULL UNIQUE,\n"
      "  status TEXT CHECK (status IN ('a', 'b')) DEFAULT 'a'\n)",
      "calyx_new_posts");
  REQUIRE(ddl.ok());
  CHECK(*ddl ==
        "CREATE TABLE \"calyx_new_posts\" (id INTEGER PRIMARY KEY AUTOINCREMENT, slug TEXT NOT NULL , "
        "status TEXT CHECK (status IN ('a', 'b')) DEFAULT 'a', tenant_id INTEGER NOT NULL, "
        "UNIQUE (tenant_id, \"slug\"))");

  auto natural = shared_table_ddl("CREATE TABLE kv (name TEXT PRIMARY KEY ON CONFLICT REPLACE, value TEXT, "
                                  "CONSTRAINT pair UNIQUE (value, name)) WITHOUT ROWID",
                                  "x");
  REQUIRE(natural.ok());
  CHECK(*natural == "CREATE TABLE \"x\" (name TEXT     , value TEXT, tenant_id INTEGER NOT NULL, "
                    "CONSTRAINT pair UNIQUE (tenant_id, value, name), PRIMARY KEY (tenant_id, \"name\")) WITHOUT ROWID");

  // A table-level key on a rowid alias stays as it is; quoted names and comments survive.
  auto alias = shared_table_ddl("CREATE TABLE \"t\" (\"id\" INTEGER, -- the key\n note TEXT, PRIMARY KEY (id))", "y");
  REQUIRE(alias.ok());
  CHECK(*alias == "CREATE TABLE \"y\" (\"id\" INTEGER, note TEXT, tenant_id INTEGER NOT NULL, PRIMARY KEY (id))");

  CHECK_FALSE(shared_table_ddl("CREATE TABLE broken (a TEXT", "z").ok());
}

TEST_CASE("shared unique indexes put tenant_id first") {
  CHECK(shared_index_ddl("CREATE UNIQUE INDEX i ON t (a, lower(b)) WHERE a IS NOT NULL").value() ==
        "CREATE UNIQUE INDEX i ON t (tenant_id, a, lower(b)) WHERE a IS NOT NULL");
  CHECK_FALSE(shared_index_ddl("CREATE INDEX nothing").ok());
}

TEST_CASE("shared-scope migrations declare uniqueness per tenant on tables that already hold rows") {
  CHECK(shared_unique_statements("ALTER TABLE t ADD COLUMN c INT;\nCREATE UNIQUE INDEX IF NOT EXISTS u ON t (c);\n"
                                 "CREATE INDEX plain ON t (c);\nALTER TABLE t ADD CONSTRAINT k UNIQUE (a, b);\n"
                                 "CREATE UNIQUE INDEX n ON fresh (c); ALTER TABLE fresh ADD UNIQUE (c);",
                                 {"t"}) ==
        "ALTER TABLE t ADD COLUMN c INT;\nCREATE UNIQUE INDEX IF NOT EXISTS u ON t (tenant_id, c);\n"
        "CREATE INDEX plain ON t (c);\nALTER TABLE t ADD CONSTRAINT k UNIQUE (tenant_id, a, b);\n"
        "CREATE UNIQUE INDEX n ON fresh (c); ALTER TABLE fresh ADD UNIQUE (c);");
  CHECK(shared_unique_statements("INSERT INTO t VALUES ('CREATE UNIQUE INDEX x ON y (z)')", {"y"}) ==
        "INSERT INTO t VALUES ('CREATE UNIQUE INDEX x ON y (z)')");
}
