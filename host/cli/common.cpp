// Shared plumbing of the commands.
#include "cli/common.hpp"

#include "cli/host_migrations.hpp"

#include <calyx/migrations/migrator.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace calyx::cli {

int fail(const std::string& message) {
  std::fprintf(stderr, "calyx: error: %s\n", message.c_str());
  return kExitFailure;
}

Result<config::Settings> load_settings(const std::string& config_file) {
  auto settings = config::load(config::environment(), config_file);
  if (!settings) return settings.error();
  spdlog::set_level(spdlog::level::from_str(settings->log_level));
  return settings;
}

Result<std::unique_ptr<db::ConnectionPool>> open_pool(const config::Settings& settings) {
  db::PoolOptions options;
  options.size = settings.db_pool_size;
  options.acquire_timeout = settings.db_pool_timeout;
  options.prepared_statements = settings.db_prepared_statements;
  return db::ConnectionPool::open(settings.database, options);
}

Result<std::vector<migrations::Migration>> host_migrations() {
  auto files = calyx_host_migration_files();
  return migrations::parse_migration_files(files);
}

}  // namespace calyx::cli

namespace calyx::cli {

tenancy::TenancyOptions tenancy_options(const config::Settings& settings) {
  tenancy::TenancyOptions options;
  options.schema_prefix = settings.tenant_schema_prefix;
  options.create_schemas = settings.create_tenant_schemas;
  options.reserved = settings.reserved_tenants;
  options.sqlite_directory = settings.var_dir + "/tenants";
  options.base_domain = settings.base_domain;
  return options;
}

Result<std::unique_ptr<HostContext>> open_host(const std::string& config_file, bool log_modules) {
  auto context = std::make_unique<HostContext>();
  auto settings = load_settings(config_file);
  if (!settings) return settings.error();
  context->settings = std::move(settings.value());
  auto pool = open_pool(context->settings);
  if (!pool) return pool.error();
  context->pool = std::move(pool.value());
  auto known = host_migrations();
  if (!known) return known.error();
  migrations::Migrator migrator(*context->pool, migrations::Scope{});
  auto pending = migrator.pending(*known);
  if (!pending) return pending.error();
  if (!pending->empty()) {
    if (context->settings.mode == config::Mode::production) {
      return Error::conflict(fmt::format("{} host migration(s) pending (first: {}); run `calyx migrate` before serving",
                                         pending->size(), pending->front().label()));
    }
    spdlog::info("development mode: applying {} pending host migration(s)", pending->size());
    auto report = migrator.apply(*known);
    if (!report) return report.error();
  }
  context->catalog = host::ModuleCatalog::load(context->settings, log_modules);
  context->tenancy = std::make_unique<tenancy::Tenancy>(*context->pool, tenancy_options(context->settings),
                                                        context->catalog->registry());
  accounts::AccountsOptions account_options;
  account_options.secret_key = context->settings.secret_key;
  context->accounts = std::make_unique<accounts::Accounts>(*context->pool, account_options);
  context->memberships = std::make_unique<orgs::Memberships>(*context->pool);
  context->audit = std::make_unique<audit::AuditLog>(*context->pool);
  context->outbox = std::make_unique<mail::Outbox>(*context->pool);
  context->orgs = std::make_unique<orgs::Orgs>(*context->pool);
  return context;
}

}  // namespace calyx::cli
