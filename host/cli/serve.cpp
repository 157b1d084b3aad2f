// `calyx serve`: settings → database (host migrations) → modules → tenants → HTTP server until SIGINT/SIGTERM.
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "http/server.hpp"
#include "tenancy/tenant_directory.hpp"
#include "web/assets.hpp"
#include "web/platform_routes.hpp"
#include "web/tenant_front.hpp"

#include <calyx/mail/smtp.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

namespace calyx::cli {

int serve(const std::string& config_file) {
  auto settings = load_settings(config_file);
  if (!settings) return fail(settings.error().message());
  if (auto key = config::ensure_secret_key(*settings); !key) return fail(key.error().message());
  auto host = open_host(config_file, /*log_modules=*/true);
  if (!host) return fail(host.error().message());
  auto& context = **host;
  context.settings.secret_key = settings->secret_key;
  accounts::AccountsOptions account_options;  // the key seals two-factor secrets
  account_options.secret_key = context.settings.secret_key;
  context.accounts = std::make_unique<accounts::Accounts>(*context.pool, account_options);

  host::TenantDirectory directory(*context.tenancy, context.settings.base_domain, context.settings.default_tenant);
  if (auto started = directory.start(); !started) return fail(started.error().message());
  web::PlatformInfo info{CALYX_VERSION, context.settings.base_domain};
  bool secure_cookies = context.settings.secure_cookies.value_or(context.settings.mode == config::Mode::production);
  orgs::TenantInvitations invitations(*context.pool);
  web::SessionPages sessions({*context.accounts, *context.memberships, *context.audit, *context.outbox,
                              context.settings.base_domain, context.settings.mode == config::Mode::development,
                              context.tenancy.get(), context.orgs.get(), secure_cookies, &invitations});
  web::AdminPages admin({*context.tenancy, *context.accounts, *context.memberships, *context.audit,
                         [&directory] { (void)directory.refresh(); }, secure_cookies, &invitations, &sessions});
  web::TenantFront front(
      directory, *context.tenancy,
      [&](const http::Request& request) { return web::platform_page(request, *context.pool, info); }, &sessions, &admin);

  http::Router router;
  web::add_platform_routes(router, *context.pool);
  web::add_asset_routes(router);
  front.serve_unmatched(router);

  const auto& s = context.settings;
  http::ServerOptions options;
  options.address = s.listen_host;
  options.port = s.listen_port;
  options.io_threads = s.http_threads;
  // Workers mostly wait on the database: as many as connections, so none waits for a connection in vain — but
  // no more than two per core: a database that answers from memory keeps them runnable, and past that they
  // only take turns on the cores (bench/tenancy_bench.sh on 2 cores: 8 workers 0.73x the floor, 4 workers
  // 0.80x). A distant database, where workers mostly sleep, wants CALYX_WORKER_THREADS set higher.
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  options.worker_threads =
      s.worker_threads ? s.worker_threads : std::min(static_cast<unsigned>(s.db_pool_size), 2 * cores);
  // All I/O threads but one may run a handler themselves (no hop to a worker); one always serves the rest.
  unsigned io_threads = s.http_threads ? s.http_threads : cores;
  options.inline_handlers = s.inline_handlers >= 0 ? static_cast<unsigned>(s.inline_handlers) : io_threads - 1;
  options.max_header_bytes = s.max_header_bytes;
  options.max_body_bytes = s.max_body_bytes;
  options.read_timeout = s.read_timeout;
  options.idle_timeout = s.idle_timeout;
  options.shutdown_timeout = s.shutdown_timeout;
  http::Server server(options, std::move(router));
  if (auto started = server.start(); !started) return fail(started.error().message());
  spdlog::info("Calyx {} serving on http://{}:{} ({} mode, database {})", CALYX_VERSION, s.listen_host, server.port(),
               s.mode == config::Mode::production ? "production" : "development", s.database.redacted());
  // Mail: delivered from the outbox by SMTP when CALYX_SMTP_URL is set, retried with growing delays.
  std::jthread mailer;
  if (!s.smtp_url.empty()) {
    auto smtp = mail::SmtpServer::parse(s.smtp_url).value();  // validated with the settings
    mailer = std::jthread([&context, smtp](std::stop_token stop) {
      while (!stop.stop_requested()) {
        mail::deliver_due(*context.outbox, smtp);
        for (int i = 0; i < 10 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    spdlog::info("mail goes out through {}:{}{}", smtp.host, smtp.port, smtp.starttls ? " (STARTTLS)" : "");
  } else if (s.mode == config::Mode::development) {
    spdlog::info("CALYX_SMTP_URL is not set: mail stays in the outbox; see /dev/mailbox on a tenant's host");
  } else {
    spdlog::warn("CALYX_SMTP_URL is not set: mail stays in the outbox and is not delivered");
  }
  server.run_until_stopped();
  return 0;
}

}  // namespace calyx::cli
