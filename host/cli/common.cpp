// Shared plumbing of the commands.
#include "cli/common.hpp"

#include "cli/host_migrations.hpp"

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
  return db::ConnectionPool::open(settings.database, options);
}

Result<std::vector<migrations::Migration>> host_migrations() {
  auto files = calyx_host_migration_files();
  return migrations::parse_migration_files(files);
}

}  // namespace calyx::cli
