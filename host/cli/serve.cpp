// `calyx serve`: settings → database → host migrations → modules → HTTP server until SIGINT/SIGTERM.
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "http/server.hpp"
#include "modules/module_catalog.hpp"
#include "web/platform_routes.hpp"

#include <calyx/migrations/migrator.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace calyx::cli {

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

  auto catalog = host::ModuleCatalog::load(*settings);

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

}  // namespace calyx::cli
