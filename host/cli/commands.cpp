// `calyx serve`, `calyx migrate`, `--help`, `--version`. Every failure is printed as one line naming its
// cause and ends with a non-zero exit code; usage errors (unknown command, bad flag) print usage too.
#include "cli/commands.hpp"

#include "cli/host_migrations.hpp"
#include "config/settings.hpp"
#include "http/server.hpp"
#include "web/platform_routes.hpp"

#include <calyx/db/pool.hpp>
#include <calyx/migrations/migrator.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#ifndef CALYX_VERSION
#error "CALYX_VERSION must be defined by the build"
#endif

namespace calyx::cli {
namespace {

constexpr int kExitFailure = 1;

int fail(const std::string& message) {
  std::fprintf(stderr, "calyx: error: %s\n", message.c_str());
  return kExitFailure;
}

struct Loaded {
  config::Settings settings;
  std::unique_ptr<db::ConnectionPool> pool;
};

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

// Applies the host's pending migrations and prints what was done.
int migrate(const std::string& config_file) {
  auto settings = load_settings(config_file);
  if (!settings) return fail(settings.error().message());
  auto pool = open_pool(*settings);
  if (!pool) return fail(pool.error().message());
  auto known = host_migrations();
  if (!known) return fail(known.error().message());
  migrations::Migrator migrator(**pool, migrations::Scope{});
  auto report = migrator.apply(*known);
  if (!report) return fail(report.error().message());
  for (const auto& label : report->applied) std::printf("applied %s\n", label.c_str());
  std::printf("%s: %zu migration(s) applied now, %zu already applied, database %s\n",
              report->applied.empty() ? "up to date" : "migrated", report->applied.size(), report->already_applied,
              settings->database.redacted().c_str());
  return 0;
}

int serve(const std::string& config_file) {
  auto settings = load_settings(config_file);
  if (!settings) return fail(settings.error().message());
  if (auto key = config::ensure_secret_key(*settings); !key) return fail(key.error().message());
  auto pool = open_pool(*settings);
  if (!pool) return fail(pool.error().message());
  auto known = host_migrations();
  if (!known) return fail(known.error().message());
  migrations::Migrator migrator(**pool, migrations::Scope{});
  auto pending = migrator.pending(*known);
  if (!pending) return fail(pending.error().message());
  if (!pending->empty()) {
    if (settings->mode == config::Mode::production) {
      return fail(fmt::format("{} host migration(s) pending (first: {}); run `calyx migrate` before serving",
                              pending->size(), pending->front().label()));
    }
    spdlog::info("development mode: applying {} pending host migration(s)", pending->size());
    auto report = migrator.apply(*known);
    if (!report) return fail(report.error().message());
  }

  http::Router router;
  web::add_platform_routes(router, **pool, {CALYX_VERSION, settings->base_domain});
  http::ServerOptions options;
  options.address = settings->listen_host;
  options.port = settings->listen_port;
  options.io_threads = settings->http_threads;
  // Workers mostly wait on the database: as many as connections, so none waits for a connection in vain.
  options.worker_threads = settings->worker_threads ? settings->worker_threads
                                                    : static_cast<unsigned>(settings->db_pool_size);
  options.max_header_bytes = settings->max_header_bytes;
  options.max_body_bytes = settings->max_body_bytes;
  options.read_timeout = settings->read_timeout;
  options.idle_timeout = settings->idle_timeout;
  options.shutdown_timeout = settings->shutdown_timeout;
  http::Server server(options, std::move(router));
  if (auto started = server.start(); !started) return fail(started.error().message());
  spdlog::info("Calyx {} serving on http://{}:{} ({} mode, database {})", CALYX_VERSION, settings->listen_host,
               server.port(), settings->mode == config::Mode::production ? "production" : "development",
               settings->database.redacted());
  server.run_until_stopped();
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  if (sodium_init() < 0) return fail("libsodium failed to initialize");
  // Logs go to stderr so that a command's own output (stdout) stays clean for scripts.
  spdlog::set_default_logger(spdlog::stderr_color_mt("calyx"));
  CLI::App app{"Calyx — a multi-tenant, white-label SaaS platform host", "calyx"};
  app.set_version_flag("--version", std::string("calyx ") + CALYX_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  std::string config_file;
  app.add_option("--config", config_file, "Read settings from this KEY=VALUE file (the environment wins)")
      ->check(CLI::ExistingFile);

  auto* serve_cmd = app.add_subcommand("serve", "Serve HTTP on CALYX_LISTEN (default 127.0.0.1:4000)");
  auto* migrate_cmd = app.add_subcommand("migrate", "Apply the host's pending global migrations");
  app.footer("Configuration comes from CALYX_* environment variables; see docs/operations.md.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_cmd->parsed()) return serve(config_file);
  if (migrate_cmd->parsed()) return migrate(config_file);
  return fail("no command given");
}

}  // namespace calyx::cli
