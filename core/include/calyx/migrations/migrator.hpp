// The migrations engine. It applies a component's migrations to a target scope — the connection's default
// schema (the global host schema, or a database of its own), or a named PostgreSQL schema — each in its own
// transaction, recording version, name and checksum in `calyx_schema_migrations` inside that scope.
// A failing migration leaves the scope as it was; an applied migration whose text changed is refused.
// Thread-safety: a Migrator holds no state of its own; concurrent runs against one scope serialize on a
// database lock (PostgreSQL advisory lock, SQLite write lock) and never apply a migration twice.
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/migrations/migration.hpp>
#include <calyx/result.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace calyx::migrations {

// Where migrations go and whose they are.
struct Scope {
  Scope() = default;
  Scope(std::string component_code, std::string schema_name = {})
      : component(std::move(component_code)), schema(std::move(schema_name)) {}

  std::string component = "host";  // "host", or a module's code: versions are numbered per component
  std::string schema;              // PostgreSQL schema to apply into; empty = the connection's default
  // Run inside each migration's transaction, around its SQL: how tenancy turns module tables into shared,
  // row-scoped ones and grants the tenant's role its tables. A failure rolls the migration back.
  std::function<Status(db::Lease&)> before_each, after_each;
  // Rewrites a migration's SQL before it runs (the ledger keeps the checksum of the original).
  std::function<Result<std::string>(db::Lease&, const std::string&)> rewrite_sql;
};

struct AppliedMigration {
  long long version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;
};

struct MigrationReport {
  std::vector<std::string> applied;  // labels of the migrations this run applied, in order
  std::size_t already_applied = 0;   // how many were applied before this run
  std::chrono::milliseconds duration{0};
};

class Migrator {
 public:
  Migrator(db::ConnectionPool& pool, Scope scope);

  // Applies every pending migration in version order. Stops at the first failure: what it applied before
  // stays applied (each migration is its own transaction), the failing one leaves no trace.
  Result<MigrationReport> apply(const std::vector<Migration>& migrations);

  // The same inside the caller's transaction on `lease` (a connection of this migrator's pool): everything
  // applies or nothing does when the caller commits or rolls back. Used to migrate a tenant as one unit.
  Result<MigrationReport> apply_in(db::Lease& lease, const std::vector<Migration>& migrations);

  // What is recorded in the scope, ordered by version.
  Result<std::vector<AppliedMigration>> applied();

  // Which of `migrations` are not applied yet; refuses edited or unknown recorded migrations.
  Result<std::vector<Migration>> pending(const std::vector<Migration>& migrations);

 private:
  // `scope_entered`: the caller holds the scope's lock and has read the ledger in this transaction.
  Result<bool> apply_one(db::Lease& lease, const Migration& migration, const std::vector<Migration>& all,
                         const std::string& quoted_schema, bool scope_entered);

  db::ConnectionPool& pool_;
  Scope scope_;
};

}  // namespace calyx::migrations
