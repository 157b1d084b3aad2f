// `Tenancy::migrate_tenants` (calyx tenant migrate): after a module upgrade every tenant scope is migrated
// in one transaction, a failing tenant is rolled back and reported without stopping the others, a re-run
// resumes, shared tenants migrate once, and a pass with nothing to do does not open the tenants' scopes.
#include "support/fixture_modules.hpp"
#include "support/tenancy_world.hpp"

#include <calyx/modules/loader.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace calyx;
using calyx::tenancy::Isolation;
using calyx::tenancy::TenantMigration;
using calyx::testing::TenancyWorld;
using calyx::testing::TestDatabase;

namespace {

// The same host after the operator dropped release 2 of the versioned module into the modules directory.
struct Upgraded {
  explicit Upgraded(TenancyWorld& world) {
    std::filesystem::copy_file(testing::fixture_module("v2/versioned"), dir.path() / "versioned.so");
    modules::ModuleLoader loader(modules::host_api());
    registry = std::make_unique<modules::ModuleRegistry>(modules::ModuleRegistry::build(loader.discover(dir.path())));
    tenants = std::make_unique<tenancy::Tenancy>(*world.pool, world.options, *registry);
  }
  testing::TempDir dir;
  std::unique_ptr<modules::ModuleRegistry> registry;
  std::unique_ptr<tenancy::Tenancy> tenants;
};

const TenantMigration& row(const std::vector<TenantMigration>& results, const std::string& slug) {
  for (const auto& r : results) {
    if (r.tenant == slug) return r;
  }
  FAIL("no row for " << slug);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("tenant migrate applies an upgrade everywhere, isolates a failing tenant, and resumes") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    for (auto [slug, isolation] : {std::pair{"acme", Isolation::isolated}, {"dupes", Isolation::isolated},
                                   {"shared-a", Isolation::shared}, {"shared-b", Isolation::shared}}) {
      world.create(slug, {}, isolation);
      REQUIRE(world.tenants->enable_module(slug, "versioned").ok());
    }
    auto dupes = world.reload("dupes");
    for (int i = 0; i < 2; ++i) CHECK(world.call(dupes, "POST", "/versioned/items", "name=twin").response.status == 201);
    auto shared_a = world.reload("shared-a"), shared_b = world.reload("shared-b");
    // The same name in two shared tenants is not a duplicate: the unique index is per tenant.
    CHECK(world.call(shared_a, "POST", "/versioned/items", "name=twin").response.status == 201);
    CHECK(world.call(shared_b, "POST", "/versioned/items", "name=twin").response.status == 201);

    // Nothing to do before the upgrade.
    auto idle = world.tenants->migrate_tenants("", 2);
    REQUIRE(idle.ok());
    for (const auto& r : *idle) CHECK(r.state == TenantMigration::State::up_to_date);

    Upgraded v2(world);
    auto first = v2.tenants->migrate_tenants("", 4);
    REQUIRE(first.ok());
    CHECK(first->size() == 4);
    CHECK(row(*first, "acme").state == TenantMigration::State::migrated);
    CHECK(row(*first, "acme").applied ==
          std::vector<std::string>{"versioned 0002_add_item_done", "versioned 0003_unique_item_names"});
    CHECK(row(*first, "shared-a").state == TenantMigration::State::migrated);
    CHECK(row(*first, "shared-b").applied == row(*first, "shared-a").applied);  // one scope, migrated once
    const auto& failed = row(*first, "dupes");
    CHECK(failed.state == TenantMigration::State::failed);
    CHECK(failed.error.find("versioned migration 0003_unique_item_names failed and was rolled back") != std::string::npos);

    // The failing tenant kept its schema as it was (migration 2 rolled back with 3); the others moved on.
    auto columns = [&](const tenancy::Tenant& t) {
      auto match = v2.registry->route("GET", "/versioned/columns");
      modules::CallScope scope;
      scope.tenant = {t.id, t.slug, t.name, std::string(tenancy::to_string(t.isolation))};
      scope.data = v2.tenants->data_scope(t).value();
      scope.host_pool = world.pool.get();
      return modules::run_route(*v2.registry, *match, {"GET", "/versioned/columns", "", "", {}, {}}, scope).response.body;
    };
    CHECK(columns(dupes) == "id,name");
    CHECK(columns(shared_a).ends_with(",done"));  // (PostgreSQL's shared tables also show their tenant_id)

    // Fix the data, run again: only the failed tenant has work, and it resumes.
    CHECK(world.call(dupes, "POST", "/versioned/items/delete", "name=twin").response.body == "2");
    CHECK(world.call(dupes, "POST", "/versioned/items", "name=solo").response.status == 201);
    auto second = v2.tenants->migrate_tenants("", 1);
    REQUIRE(second.ok());
    CHECK(row(*second, "dupes").state == TenantMigration::State::migrated);
    CHECK(row(*second, "acme").state == TenantMigration::State::up_to_date);
    CHECK(row(*second, "shared-a").state == TenantMigration::State::up_to_date);
    CHECK(columns(dupes) == "id,name,done");

    // One tenant only, and an unknown one.
    auto one = v2.tenants->migrate_tenants("acme", 1);
    REQUIRE(one.ok());
    CHECK(one->size() == 1);
    CHECK(v2.tenants->migrate_tenants("nobody", 1).error().message() == "no tenant 'nobody'");
  });
}

TEST_CASE("a tenant migrate pass with nothing to apply reads one summary and leaves the tenants' scopes alone") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme");
    REQUIRE(world.tenants->enable_module("acme", "versioned").ok());
    // Make the tenant's scope unusable: a pass that opened it would fail.
    if (database.backend() == db::Backend::postgresql) {
      auto lease = world.pool->acquire();
      lease->session() << "ALTER SCHEMA \"" + acme.data_location + "\" RENAME TO \"" + acme.data_location + "_gone\"";
    } else {
      std::filesystem::remove(acme.data_location);
      std::filesystem::create_directory(acme.data_location);  // a directory where the database file was
    }
    auto pass = world.tenants->migrate_tenants("", 1);
    REQUIRE(pass.ok());
    CHECK(pass->at(0).state == TenantMigration::State::up_to_date);
    // While a real upgrade does open it, and reports the failure for that tenant.
    Upgraded v2(world);
    auto upgrade = v2.tenants->migrate_tenants("", 1);
    REQUIRE(upgrade.ok());
    CHECK(upgrade->at(0).state == TenantMigration::State::failed);
  });
}
