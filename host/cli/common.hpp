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
