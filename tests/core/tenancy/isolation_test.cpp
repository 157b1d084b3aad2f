// The isolation proof: the hostile fixture module never filters by tenant, and two tenants' requests are
// interleaved through one pooled connection, yet neither reads nor writes a row of the other — in every
// isolation mode, on both databases. Then the ways out a module could try: schema-qualified names, the
// host's tables, the rows behind the shared views, ATTACH, DDL.
#include "support/tenancy_world.hpp"

#include <calyx/tenancy/tenancy.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace calyx;
using calyx::tenancy::Isolation;
using calyx::testing::TenancyWorld;
using calyx::testing::TestDatabase;

namespace {

db::PoolOptions one_connection() {
  auto options = TestDatabase::quick_options();
  options.size = 1;
  return options;
}

// Two tenants with the hostile module, in one isolation mode; enterprise tenants get databases of their own.
struct TwoTenants {
  TwoTenants(TestDatabase& database, Isolation isolation) : world(database, one_connection()) {
    auto make = [&](const std::string& slug) {
      std::string url;
      if (isolation == Isolation::enterprise) {
        own.push_back(std::make_unique<TestDatabase>(database.backend()));
        url = own.back()->url_text();
      }
      world.create(slug, {}, isolation, url);
      auto enabled = world.tenants->enable_module(slug, "hostile");
      REQUIRE_MESSAGE(enabled.ok(), (enabled.ok() ? "" : enabled.error().message()));
      return world.reload(slug);
    };
    std::string mode(tenancy::to_string(isolation));
    a = make("alpha-" + mode);
    b = make("bravo-" + mode);
  }

  std::string text(const tenancy::Tenant& tenant, const std::string& method, const std::string& target,
                   const std::string& body = "") {
    auto outcome = world.call(tenant, method, target, body);
    return outcome.status == CALYX_OK ? outcome.response.body : "error: " + outcome.error;
  }

  std::vector<std::unique_ptr<TestDatabase>> own;
  TenancyWorld world;
  tenancy::Tenant a, b;
};

const Isolation kModes[] = {Isolation::shared, Isolation::isolated, Isolation::enterprise};

}  // namespace

TEST_CASE("a module that never filters by tenant sees and changes only its tenant's rows, in every mode") {
  testing::every_backend([](TestDatabase& database) {
    for (Isolation isolation : kModes) {
      CAPTURE(tenancy::to_string(isolation));
      TwoTenants t(database, isolation);
      // Interleaved, through one pooled connection where the mode shares a database.
      for (const char* note : {"same", "a-only"}) CHECK(t.world.call(t.a, "POST", "/hostile/put", std::string("note=") + note).response.status == 201);
      CHECK(t.world.call(t.b, "POST", "/hostile/put", "note=same").response.status == 201);  // unique per tenant only
      CHECK(t.world.call(t.b, "POST", "/hostile/put", "note=b-only").response.status == 201);
      const std::string a_rows = t.a.slug + "|a-only|plain|1\n" + t.a.slug + "|same|plain|1\ntag-a-only\ntag-same\nlast|a-only\n";
      CHECK(t.text(t.a, "GET", "/hostile/all") == a_rows);
      CHECK(t.text(t.b, "GET", "/hostile/all") ==
            t.b.slug + "|b-only|plain|1\n" + t.b.slug + "|same|plain|1\ntag-b-only\ntag-same\nlast|b-only\n");
      // Within one tenant a unique column still refuses a duplicate.
      CHECK(t.text(t.a, "POST", "/hostile/put", "note=same").starts_with("error: "));

      // Unfiltered writes: counted and applied for the caller's rows only.
      CHECK(t.text(t.b, "POST", "/hostile/update-all") == "2");
      CHECK(t.text(t.b, "POST", "/hostile/delete-all") == "2");
      CHECK(t.text(t.b, "GET", "/hostile/all") == "last|b-only\n");
      CHECK(t.text(t.a, "GET", "/hostile/all") == a_rows);

      // Purging one tenant leaves the other's rows.
      REQUIRE(t.world.tenants->remove(t.b.slug, true).ok());
      CHECK(t.text(t.a, "GET", "/hostile/all") == a_rows);
    }
  });
}

TEST_CASE("shared tables are migrated once for every shared tenant, and later migrations keep them scoped") {
  testing::every_backend([](TestDatabase& database) {
    TwoTenants t(database, Isolation::shared);
    CHECK(t.a.data_location == t.b.data_location);
    // One ledger for the shared scope: the second tenant found both migrations applied.
    auto scope = t.world.tenants->data_scope(t.a).value();
    migrations::Scope ledger_scope("hostile", scope.schema);
    auto applied = migrations::Migrator(*scope.pool, ledger_scope).applied();
    REQUIRE(applied.ok());
    CHECK(applied->size() == 2);
    // Migration 2 (ADD COLUMN level) ran on the shared table: the column is there, through the tenant's view.
    CHECK(t.world.call(t.a, "POST", "/hostile/put", "note=x").response.status == 201);
    CHECK(t.text(t.a, "POST", "/hostile/probe", "SELECT note, level FROM secrets") == "x|1\n");
    // The physical rows carry their tenant.
    auto lease = scope.pool->acquire();
    long long tenant = 0;
    if (database.backend() == db::Backend::postgresql) {
      lease->session() << "SELECT tenant_id FROM calyx_shared.secrets WHERE note = 'x'", soci::into(tenant);
    } else {
      lease->session() << "SELECT tenant_id FROM calyx_rows_secrets WHERE note = 'x'", soci::into(tenant);
    }
    CHECK(tenant == t.a.id);
  });
}

TEST_CASE("a module cannot reach past its tenant: other schemas, host tables, shared rows, ATTACH, DDL") {
  testing::every_backend([](TestDatabase& database) {
    for (Isolation isolation : {Isolation::shared, Isolation::isolated}) {
      CAPTURE(tenancy::to_string(isolation));
      TwoTenants t(database, isolation);
      REQUIRE(t.world.call(t.a, "POST", "/hostile/put", "note=secret-of-a").response.status == 201);
      auto probe = [&](const std::string& sql) { return t.text(t.b, "POST", "/hostile/probe", sql); };
      auto execute = [&](const std::string& sql) { return t.text(t.b, "POST", "/hostile/execute", sql); };
      if (database.backend() == db::Backend::postgresql) {
        // The host's own tables, and (isolated) the other tenant's schema by name.
        CHECK(probe("SELECT slug FROM public.calyx_tenants").find("permission denied") != std::string::npos);
        if (isolation == Isolation::isolated) {
          CHECK(probe("SELECT note FROM \"" + t.a.data_location + "\".secrets").find("permission denied") !=
                std::string::npos);
        } else {
          CHECK(probe("SELECT note FROM calyx_shared.secrets").empty());  // row-level security
          CHECK(probe("SELECT note FROM calyx_shared.secrets WHERE tenant_id = " + std::to_string(t.a.id)).empty());
        }
        CHECK(execute("CREATE TABLE sneaky (id INT)").find("permission denied") != std::string::npos);
        CHECK(probe("SELECT version, name FROM calyx_schema_migrations").find("permission denied") != std::string::npos);
      } else {
        auto denied = [](const std::string& out) {
          return out.find("not authorized") != std::string::npos || out.find("prohibited") != std::string::npos;
        };
        if (isolation == Isolation::shared) {
          CHECK(denied(probe("SELECT note FROM calyx_rows_secrets")));
          CHECK(denied(execute("UPDATE calyx_rows_secrets SET note = 'owned'")));
        } else {
          CHECK(denied(execute("ATTACH DATABASE '" + t.a.data_location + "' AS other")));
        }
        CHECK(denied(probe("SELECT version FROM calyx_schema_migrations")));
        CHECK(denied(execute("CREATE TABLE sneaky (id INTEGER)")));
        CHECK(denied(execute("DROP TABLE secrets")));
        CHECK(denied(execute("PRAGMA foreign_keys = OFF")));
        CHECK(probe("PRAGMA table_info(secrets)").find("note") != std::string::npos);  // reading the schema is fine
      }
      CHECK(t.text(t.a, "GET", "/hostile/all").find("secret-of-a") != std::string::npos);
      CHECK(t.text(t.b, "GET", "/hostile/all").find("secret-of-a") == std::string::npos);
    }
  });
}

TEST_CASE("Blog works unchanged on shared tables: the same slug in two tenants, each seeing its own") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    for (const char* slug : {"acme", "globex"}) {
      world.create(slug, {}, Isolation::shared);
      auto enabled = world.tenants->enable_module(slug, "blog");
      REQUIRE_MESSAGE(enabled.ok(), (enabled.ok() ? "" : enabled.error().message()));
    }
    auto acme = world.reload("acme"), globex = world.reload("globex");
    CHECK(world.call(acme, "POST", "/blog/editor/posts", "title=Hello&slug=hello&body=From+Acme").response.status == 303);
    CHECK(world.call(globex, "POST", "/blog/editor/posts", "title=Hello&slug=hello&body=From+Globex").response.status == 303);
    auto acme_list = world.call(acme, "GET", "/blog/editor?format=json").response.body;
    CHECK(acme_list.find("welcome") != std::string::npos);  // each tenant's own welcome draft from setup_tenant
    CHECK(acme_list.find("\"slug\":\"hello\"") != std::string::npos);
    auto globex_list = world.call(globex, "GET", "/blog/editor?format=json").response.body;
    CHECK(globex_list.find("From Acme") == std::string::npos);
    // Publish and delete by id through the views: Blog's "not found" relies on the affected-row counts.
    auto slug_at = acme_list.find("\"slug\":\"hello\"");
    auto id_at = acme_list.rfind("\"id\":", slug_at);
    REQUIRE(id_at != std::string::npos);
    std::string id = std::to_string(std::stoll(acme_list.substr(id_at + 5)));
    auto missing = [](const modules::DispatchOutcome& outcome) { return outcome.status == CALYX_NOT_FOUND; };
    CHECK(missing(world.call(globex, "POST", "/blog/editor/posts/" + id + "/publish")));
    CHECK(world.call(acme, "POST", "/blog/editor/posts/" + id + "/publish").response.status == 303);
    CHECK(world.call(acme, "GET", "/blog/hello").response.body.find("From Acme") != std::string::npos);
    CHECK(missing(world.call(globex, "GET", "/blog/hello")));  // Globex's hello is a draft
    CHECK(missing(world.call(globex, "POST", "/blog/editor/posts/" + id + "/delete")));
    CHECK(world.call(acme, "POST", "/blog/editor/posts/" + id + "/delete").response.status == 303);
    CHECK(missing(world.call(acme, "GET", "/blog/hello")));
    CHECK(world.call(globex, "GET", "/blog/editor?format=json").response.body.find("From Globex") != std::string::npos);
  });
}
