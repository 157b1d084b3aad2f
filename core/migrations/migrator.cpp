// The migrations engine: ledger table per scope, checksum verification, one transaction per migration,
// serialized against concurrent runs by a database lock.
#include <calyx/db/dialect.hpp>
#include <calyx/migrations/migrator.hpp>

#include <calyx/clock.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <map>

namespace calyx::migrations {
namespace {

constexpr std::string_view kLedgerDdl = R"(CREATE TABLE IF NOT EXISTS calyx_schema_migrations (
  component TEXT NOT NULL,
  version BIGINT NOT NULL,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  duration_ms BIGINT NOT NULL,
  PRIMARY KEY (component, version)
))";

// Opens a writing transaction scoped to `scope`: on PostgreSQL it takes the scope's advisory lock (so two
// hosts migrating at once take turns) and points search_path at the scope's schema for this transaction only.
void enter_scope(db::Lease& lease, const Scope& scope, const std::string& quoted_schema, bool create_ledger = false) {
  if (lease.backend() != db::Backend::postgresql) {
    if (create_ledger) lease.session() << std::string(kLedgerDdl);
    return;
  }
  // One round trip. The key's parts are a validated schema name and module code (no quotes can occur).
  std::string key = "calyx_migrations:" + scope.schema + ":" + scope.component;
  if (key.find('\'') != std::string::npos) throw soci::soci_error("invalid migration scope " + key);
  std::string script = "SELECT pg_advisory_xact_lock(1131571576, hashtext('" + key + "'))";
  if (!quoted_schema.empty()) script += "; SET LOCAL search_path TO " + quoted_schema;
  if (create_ledger) script += ";\n" + std::string(kLedgerDdl);
  if (auto ok = db::dialect::execute_script(lease.session(), lease.backend(), script); !ok) {
    throw soci::soci_error(ok.error().message());
  }
}

Result<std::map<long long, AppliedMigration>> read_ledger(db::Lease& lease, const std::string& component) {
  std::map<long long, AppliedMigration> rows;
  AppliedMigration row;
  // One-time: a single round trip on PostgreSQL (no PQprepare), it runs once per scope.
  soci::statement select(lease.session());
  select.exchange(soci::into(row.version));
  select.exchange(soci::into(row.name));
  select.exchange(soci::into(row.checksum));
  select.exchange(soci::into(row.applied_at));
  select.exchange(soci::use(component, "component"));
  select.alloc();
  select.prepare("SELECT version, name, checksum, applied_at FROM calyx_schema_migrations WHERE component = :component "
                 "ORDER BY version",
                 soci::details::st_one_time_query);
  select.define_and_bind();
  select.execute();
  while (select.fetch()) rows[row.version] = row;
  return rows;
}

// Recorded migrations must all be known and unchanged, or the database and this binary disagree.
Status verify_ledger(const std::map<long long, AppliedMigration>& ledger, const std::vector<Migration>& known,
                     db::Backend backend, const Scope& scope) {
  std::map<long long, const Migration*> by_version;
  for (const auto& migration : known) by_version[migration.version] = &migration;
  for (const auto& [version, row] : ledger) {
    auto it = by_version.find(version);
    if (it == by_version.end()) {
      return Error::conflict(fmt::format(
          "{} migration {:04}_{} is applied in the database but unknown to this build (is this an older "
          "binary?)",
          scope.component, version, row.name));
    }
    std::string checksum = it->second->checksum(backend);
    if (checksum != row.checksum) {
      return Error::conflict(fmt::format(
          "{} migration {} was changed after it was applied (recorded checksum {}, file now {}); write a new "
          "migration instead of editing an applied one",
          scope.component, it->second->label(), row.checksum.substr(0, 12), checksum.substr(0, 12)));
    }
  }
  return Ok{};
}

}  // namespace

Migrator::Migrator(db::ConnectionPool& pool, Scope scope) : pool_(pool), scope_(std::move(scope)) {}

Result<std::vector<AppliedMigration>> Migrator::applied() {
  auto quoted = scope_.schema.empty() ? Result<std::string>(std::string()) : db::dialect::quote_identifier(scope_.schema);
  if (!quoted) return quoted.error();
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    enter_scope(*lease, scope_, *quoted, true);
    auto ledger = read_ledger(*lease, scope_.component);
    tx.commit();
    std::vector<AppliedMigration> out;
    for (auto& [version, row] : *ledger) out.push_back(row);
    return out;
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("cannot read the migration ledger: {}", e.what()));
  }
}

Result<std::vector<Migration>> Migrator::pending(const std::vector<Migration>& migrations) {
  auto recorded = applied();
  if (!recorded) return recorded.error();
  std::map<long long, AppliedMigration> ledger;
  for (auto& row : *recorded) ledger[row.version] = row;
  if (auto ok = verify_ledger(ledger, migrations, pool_.backend(), scope_); !ok) return ok.error();
  std::vector<Migration> out;
  for (const auto& migration : migrations) {
    if (!ledger.contains(migration.version)) out.push_back(migration);
  }
  return out;
}

// Applies `migration` inside the transaction open on `lease`, unless the ledger (read under the scope's lock)
// says it is applied already. Returns whether it ran.
Result<bool> Migrator::apply_one(db::Lease& lease, const Migration& migration, const std::vector<Migration>& all,
                                 const std::string& quoted_schema, bool scope_entered) {
  const db::Backend backend = pool_.backend();
  auto started = std::chrono::steady_clock::now();
  std::string label = migration.label();
  auto fail = [&](const Error& error) {
    return Error::failed(
        fmt::format("{} migration {} failed and was rolled back: {}", scope_.component, label, error.message()));
  };
  try {
    if (!scope_entered) {
      enter_scope(lease, scope_, quoted_schema);
      // Another process may have applied it since we looked; the lock we now hold makes this check final.
      auto ledger = read_ledger(lease, scope_.component);
      if (ledger->contains(migration.version)) {
        if (auto ok = verify_ledger(*ledger, all, backend, scope_); !ok) return ok.error();
        return false;
      }
    }
    if (scope_.before_each) {
      if (auto ok = scope_.before_each(lease); !ok) return fail(ok.error());
    }
    auto sql = scope_.rewrite_sql ? scope_.rewrite_sql(lease, migration.sql_for(backend))
                                  : Result<std::string>(migration.sql_for(backend));
    if (!sql) return fail(sql.error());
    if (auto ran = db::dialect::execute_script(lease.session(), backend, *sql); !ran) {
      return fail(ran.error());
    }
    if (scope_.after_each) {
      if (auto ok = scope_.after_each(lease); !ok) return fail(ok.error());
    }
    long long duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    std::string checksum = migration.checksum(backend), applied_at = utc_now();
    lease.session() << "INSERT INTO calyx_schema_migrations "
                       "(component, version, name, checksum, applied_at, duration_ms) "
                       "VALUES (:component, :version, :name, :checksum, :applied_at, :duration_ms)",
        soci::use(scope_.component), soci::use(migration.version), soci::use(migration.name), soci::use(checksum),
        soci::use(applied_at), soci::use(duration_ms);
    spdlog::info("applied {} migration {}{} in {} ms", scope_.component, label,
                 scope_.schema.empty() ? "" : " to schema " + scope_.schema, duration_ms);
    return true;
  } catch (const std::exception& e) {
    return fail(Error::failed(e.what()));
  }
}

Result<MigrationReport> Migrator::apply(const std::vector<Migration>& migrations) {
  auto started = std::chrono::steady_clock::now();
  if (!scope_.schema.empty() && pool_.backend() != db::Backend::postgresql) {
    return Error::invalid_argument("a schema scope needs PostgreSQL; on SQLite a scope is a database file");
  }
  auto pending_migrations = pending(migrations);
  if (!pending_migrations) return pending_migrations.error();
  auto quoted = scope_.schema.empty() ? Result<std::string>(std::string()) : db::dialect::quote_identifier(scope_.schema);
  if (!quoted) return quoted.error();

  MigrationReport report;
  report.already_applied = migrations.size() - pending_migrations->size();
  auto lease = pool_.acquire();
  if (!lease) return lease.error();
  for (const auto& migration : *pending_migrations) {
    try {
      db::Transaction tx(*lease);
      auto ran = apply_one(*lease, migration, migrations, *quoted, false);
      if (!ran) return ran.error();
      tx.commit();
      if (*ran) {
        report.applied.push_back(migration.label());
      } else {
        ++report.already_applied;
      }
    } catch (const std::exception& e) {
      return Error::failed(fmt::format("{} migration {} failed and was rolled back: {}", scope_.component,
                                       migration.label(), e.what()));
    }
  }
  report.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return report;
}

Result<MigrationReport> Migrator::apply_in(db::Lease& lease, const std::vector<Migration>& migrations) {
  auto started = std::chrono::steady_clock::now();
  auto quoted = scope_.schema.empty() ? Result<std::string>(std::string()) : db::dialect::quote_identifier(scope_.schema);
  if (!quoted) return quoted.error();
  MigrationReport report;
  try {
    enter_scope(lease, scope_, *quoted, true);
    auto ledger = read_ledger(lease, scope_.component);
    if (auto ok = verify_ledger(*ledger, migrations, pool_.backend(), scope_); !ok) return ok.error();
    for (const auto& migration : migrations) {
      if (ledger->contains(migration.version)) {
        ++report.already_applied;
        continue;
      }
      auto ran = apply_one(lease, migration, migrations, *quoted, true);
      if (!ran) return ran.error();
      report.applied.push_back(migration.label());
    }
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("cannot read the {} migration ledger: {}", scope_.component, e.what()));
  }
  report.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace calyx::migrations
