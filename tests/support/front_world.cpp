// The HTTP fixture of the tenant front and session tests.
#include "support/front_world.hpp"

#include "cli/host_migrations.hpp"
#include "support/fixture_modules.hpp"
#include "web/assets.hpp"
#include "web/platform_routes.hpp"

#include <calyx/migrations/migrator.hpp>

#include <doctest/doctest.h>

#include <thread>

namespace calyx::testing {

FrontWorld::FrontWorld(TestDatabase& database) {
  std::filesystem::copy_file(CALYX_MODULES_OUTPUT_DIR "/blog.so", modules_dir.path() / "blog.so");
  std::filesystem::copy_file(fixture_module("notes"), modules_dir.path() / "notes.so");
  for (const char* fixture : {"good_alpha", "good_beta"}) {  // installed, enabled nowhere: beta depends on alpha
    std::filesystem::copy_file(fixture_module(fixture), modules_dir.path() / (std::string(fixture) + ".so"));
  }
  modules::ModuleLoader loader(modules::host_api());
  registry = std::make_unique<modules::ModuleRegistry>(modules::ModuleRegistry::build(loader.discover(modules_dir.path())));
  pool = database.open_pool();
  auto files = calyx_host_migration_files();
  REQUIRE(migrations::Migrator(*pool, migrations::Scope{}).apply(migrations::parse_migration_files(files).value()).ok());
  options.sqlite_directory = (data_dir.path() / "tenants").string();
  options.schema_prefix = "t" + random_suffix(6) + "_";
  options.base_domain = "localhost";
  tenancy = std::make_unique<tenancy::Tenancy>(*pool, options, *registry);
  REQUIRE(tenancy->create({"acme", "Acme", tenancy::Isolation::isolated, {"acme.test"}, "", "", {}}).ok());
  REQUIRE(tenancy->create({"globex", "Globex", tenancy::Isolation::isolated, {}, "", "", {}}).ok());
  REQUIRE(tenancy->enable_module("acme", "notes").ok());
  REQUIRE(tenancy->enable_module("globex", "notes").ok());
  REQUIRE(tenancy->enable_module("acme", "blog").ok());
  accounts::AccountsOptions account_options;
  account_options.secret_key = "front-world-test-secret-key-of-at-least-32-chars";
  accounts = std::make_unique<accounts::Accounts>(*pool, account_options);
  memberships = std::make_unique<orgs::Memberships>(*pool);
  audit = std::make_unique<audit::AuditLog>(*pool);
  outbox = std::make_unique<mail::Outbox>(*pool);
  orgs = std::make_unique<orgs::Orgs>(*pool);
  invitations = std::make_unique<orgs::TenantInvitations>(*pool);
  sessions = std::make_unique<web::SessionPages>(web::AccountServices{
      *accounts, *memberships, *audit, *outbox, "localhost", /*dev_mode=*/true, tenancy.get(), orgs.get(), false, invitations.get()});

  directory = std::make_unique<host::TenantDirectory>(*tenancy, "localhost", "");
  REQUIRE(directory->start().ok());
  admin = std::make_unique<web::AdminPages>(
      web::AdminServices{*tenancy, *accounts, *memberships, *audit, [this] { (void)directory->refresh(); }, false,
                         invitations.get(), sessions.get()});
  front = std::make_unique<web::TenantFront>(
      *directory, *tenancy,
      [this](const http::Request& request) { return web::platform_page(request, *pool, {"9.9.9", "localhost"}); },
      sessions.get(), admin.get());
  http::Router router;
  web::add_platform_routes(router, *pool);
  web::add_asset_routes(router);
  front->serve_unmatched(router);
  http::ServerOptions server_options;
  server_options.port = 0;
  server_options.io_threads = 2;
  server_options.worker_threads = 2;
  server = std::make_unique<http::Server>(server_options, std::move(router));
  REQUIRE(server->start().ok());
}

FrontWorld::~FrontWorld() { server->stop(); }

std::int64_t FrontWorld::person(const char* email, bool platform_admin) {
  auto user = accounts->create_user({email, "", kPassword, platform_admin, true});
  REQUIRE_MESSAGE(user.ok(), (user.ok() ? "" : user.error().message()));
  return user->id;
}

std::int64_t FrontWorld::member(const char* email, const char* tenant, orgs::TenantRole role, const char* module_role) {
  std::int64_t id = person(email);
  auto tenant_id = tenancy->find(tenant)->id;
  REQUIRE(memberships->set_role(tenant_id, id, role).ok());
  if (module_role) REQUIRE(memberships->grant_module_role(tenant_id, id, module_role).ok());
  return id;
}

std::optional<HttpResponse> FrontWorld::get(const std::string& host, const std::string& target) {
  return http_request(server->port(), "GET", target, "", "", host);
}

bool FrontWorld::eventually(const std::string& host, const std::string& target, int status,
                            std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto r = get(host, target); r && r->status == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace calyx::testing
