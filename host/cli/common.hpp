// What every command needs: printing a failure, loading settings, opening the database, the host's migrations.
#pragma once

#include "config/settings.hpp"

#include <calyx/db/pool.hpp>
#include <calyx/migrations/migration.hpp>
#include <calyx/result.hpp>

#include <memory>
#include <string>
#include <vector>

namespace calyx::cli {

constexpr int kExitFailure = 1;

// Prints "calyx: error: <message>" to stderr and returns kExitFailure.
int fail(const std::string& message);

// Loads and validates the settings, and applies the log level.
Result<config::Settings> load_settings(const std::string& config_file);

Result<std::unique_ptr<db::ConnectionPool>> open_pool(const config::Settings& settings);

// The host's own migrations, embedded at build time.
Result<std::vector<migrations::Migration>> host_migrations();

}  // namespace calyx::cli

#include "modules/module_catalog.hpp"

#include <calyx/accounts/accounts.hpp>
#include <calyx/audit/audit_log.hpp>
#include <calyx/mail/outbox.hpp>
#include <calyx/orgs/memberships.hpp>
#include <calyx/orgs/orgs.hpp>
#include <calyx/tenancy/tenancy.hpp>

namespace calyx::cli {

// What commands that touch tenants and users need: the host database (migrated), the loaded modules,
// tenancy, accounts, memberships and the audit log.
struct HostContext {
  config::Settings settings;
  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<host::ModuleCatalog> catalog;
  std::unique_ptr<tenancy::Tenancy> tenancy;
  std::unique_ptr<accounts::Accounts> accounts;
  std::unique_ptr<orgs::Memberships> memberships;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<mail::Outbox> outbox;
  std::unique_ptr<orgs::Orgs> orgs;
};

// Opens the database and checks the host migrations: pending ones are applied in development mode and
// refused in production (run `calyx migrate`). `log_modules` logs each module load/refusal.
Result<std::unique_ptr<HostContext>> open_host(const std::string& config_file, bool log_modules);

tenancy::TenancyOptions tenancy_options(const config::Settings& settings);

}  // namespace calyx::cli
