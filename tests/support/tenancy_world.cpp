// The shared tenancy fixture of the tenancy, isolation and migration tests.
#include "support/tenancy_world.hpp"

#include "cli/host_migrations.hpp"
#include "support/fixture_modules.hpp"

#include <calyx/migrations/migrator.hpp>

#include <doctest/doctest.h>

#include <filesystem>

namespace calyx::testing {

TenancyWorld::TenancyWorld(TestDatabase& database, db::PoolOptions pool_options) {
  std::filesystem::copy_file(CALYX_MODULES_OUTPUT_DIR "/blog.so", modules_dir.path() / "blog.so");
  for (const char* fixture : {"notes", "good_alpha", "good_beta", "throws_in_handler", "hostile", "abi_1_0"}) {
    std::filesystem::copy_file(fixture_module(fixture), modules_dir.path() / (std::string(fixture) + ".so"));
  }
  std::filesystem::copy_file(fixture_module("v1/versioned"), modules_dir.path() / "versioned.so");
  modules::ModuleLoader loader(modules::host_api());
  registry = std::make_unique<modules::ModuleRegistry>(modules::ModuleRegistry::build(loader.discover(modules_dir.path())));
  pool = database.open_pool(pool_options);
  auto files = calyx_host_migration_files();
  REQUIRE(migrations::Migrator(*pool, migrations::Scope{}).apply(migrations::parse_migration_files(files).value()).ok());
  options.reserved = {"public", "www", "admin", "master"};
  options.sqlite_directory = (data_dir.path() / "tenants").string();
  options.schema_prefix = "t" + random_suffix(6) + "_";  // schemas of parallel runs never meet
  tenants = std::make_unique<tenancy::Tenancy>(*pool, options, *registry);
}

tenancy::Tenant TenancyWorld::create(const std::string& slug, std::vector<std::string> domains,
                                     tenancy::Isolation isolation, const std::string& database_url) {
  auto created = tenants->create({slug, "Tenant " + slug, isolation, std::move(domains), "", database_url, {}});
  REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message()));
  return *created;
}

tenancy::Tenant TenancyWorld::reload(const std::string& slug) {
  auto found = tenants->find(slug);
  REQUIRE_MESSAGE(found.ok(), (found.ok() ? "" : found.error().message()));
  return *found;
}

modules::DispatchOutcome TenancyWorld::call(const tenancy::Tenant& tenant, const std::string& method,
                                            const std::string& target, const std::string& body) {
  std::string path = target.substr(0, target.find('?'));
  std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
  auto match = registry->route(method, path);
  REQUIRE(match);
  modules::CallScope scope;
  scope.tenant = {tenant.id, tenant.slug, tenant.name, std::string(tenancy::to_string(tenant.isolation))};
  scope.user.permissions = {"blog.posts.view", "blog.posts.edit", "blog.posts.publish"};
  auto data = tenants->data_scope(tenant);
  REQUIRE_MESSAGE(data.ok(), (data.ok() ? "" : data.error().message()));
  scope.data = *data;
  scope.host_pool = pool.get();
  scope.active_modules = {tenant.modules.begin(), tenant.modules.end()};
  return modules::run_route(*registry, *match, {method, path, query, body, {}, {}}, scope);
}

}  // namespace calyx::testing
