// A migration: a numbered, named SQL script, possibly written twice (once per dialect). Migrations come
// from files named `NNNN_snake_name.sql` (both backends) or `NNNN_snake_name.sqlite.sql` plus
// `NNNN_snake_name.postgresql.sql`; the host embeds its own at build time, modules carry theirs.
// Thread-safety: plain values.
#pragma once

#include <calyx/db/backend.hpp>
#include <calyx/embedded_file.hpp>
#include <calyx/result.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::migrations {

// A migration file as embedded in a binary: its file name and its SQL.
using MigrationFile = EmbeddedFile;

struct Migration {
  long long version = 0;     // NNNN, unique within one component
  std::string name;          // snake_name
  std::string sqlite_sql;
  std::string postgresql_sql;

  const std::string& sql_for(db::Backend backend) const {
    return backend == db::Backend::sqlite ? sqlite_sql : postgresql_sql;
  }
  // Hex SHA-256 of the script the backend runs; recorded when applied, compared ever after.
  std::string checksum(db::Backend backend) const;
  // `0001_create_tenants`, as people see it.
  std::string label() const;
};

// Turns files into migrations ordered by version. Refuses a badly named file, a version used twice, and a
// dialect-specific file without its counterpart, naming the file.
Result<std::vector<Migration>> parse_migration_files(std::span<const MigrationFile> files);

}  // namespace calyx::migrations
