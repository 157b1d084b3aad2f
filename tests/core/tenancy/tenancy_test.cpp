// Tenants on both backends: names, creation all-or-nothing, status changes, domains, module subscriptions
// with their migrations, set-up and hooks, and where each tenant's data lives.
#include "support/tenancy_world.hpp"
#include "tenancy/shared_rows.hpp"

#include <calyx/migrations/migrator.hpp>
#include <calyx/modules/dispatch.hpp>
#include <calyx/tenancy/names.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace calyx;
using calyx::tenancy::Isolation;
using calyx::tenancy::NewTenant;
using calyx::tenancy::TenantStatus;
using calyx::testing::TestDatabase;

using calyx::testing::TenancyWorld;

TEST_CASE("slugs: lower-case letters, digits and dashes, 2-40 characters, reserved names refused with why") {
  std::vector<std::string> reserved = {"admin", "www"};
  CHECK(tenancy::validate_slug("acme", reserved).ok());
  CHECK(tenancy::validate_slug("acme-2", reserved).ok());
  CHECK(tenancy::validate_slug("a", reserved).error().message() == "slug 'a' must be 2 to 40 characters long");
  CHECK(tenancy::validate_slug(std::string(41, 'a'), reserved).error().message().find("2 to 40") != std::string::npos);
  CHECK(tenancy::validate_slug("2acme", reserved).error().message() == "slug '2acme' must start with a lower-case letter");
  CHECK(tenancy::validate_slug("Acme", reserved).error().message().find("lower-case letter") != std::string::npos);
  CHECK(tenancy::validate_slug("ac_me", reserved).error().message() ==
        "slug 'ac_me' may hold only lower-case letters, digits and dashes");
  CHECK(tenancy::validate_slug("acme-", reserved).error().message().find("end with a dash") != std::string::npos);
  CHECK(tenancy::validate_slug("admin", reserved).error().message().find("is reserved") != std::string::npos);
  CHECK(tenancy::validate_slug("pg-catalog", reserved).error().message().find("is reserved") != std::string::npos);
  CHECK(tenancy::validate_slug("information-schema", reserved).error().message().find("is reserved") != std::string::npos);
  CHECK(tenancy::validate_slug("public", {}).error().message().find("is reserved") != std::string::npos);
}

TEST_CASE("domains are stored lower case without port or trailing dot; invalid host names are refused") {
  CHECK(tenancy::normalize_domain("Acme.Example.COM.").value() == "acme.example.com");
  CHECK(tenancy::normalize_domain("acme.localhost:4000").value() == "acme.localhost");
  CHECK_FALSE(tenancy::normalize_domain("ac me.com").ok());
  CHECK_FALSE(tenancy::normalize_domain("-acme.com").ok());
  CHECK_FALSE(tenancy::normalize_domain("[::1]:80").ok());
  CHECK_FALSE(tenancy::normalize_domain("").ok());
  CHECK(tenancy::normalize_domain("a..b").error().message() == "'a..b' is not a valid domain name");
}

TEST_CASE("a tenant is created with its domains and its own data location") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme", {"Acme.Localhost", "www.acme.test"});
    CHECK(acme.id > 0);
    CHECK(acme.status == TenantStatus::active);
    CHECK(acme.domains == std::vector<std::string>{"acme.localhost", "www.acme.test"});
    if (database.backend() == db::Backend::postgresql) {
      CHECK(acme.data_location.ends_with("_acme"));
      auto lease = world.pool->acquire();
      int schemas = 0;
      lease->session() << "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = :s",
          soci::use(acme.data_location), soci::into(schemas);
      CHECK(schemas == 1);
    } else {
      CHECK(std::filesystem::exists(acme.data_location));
    }
    auto listed = world.tenants->list();
    REQUIRE(listed.ok());
    CHECK(listed->size() == 1);
  });
}

TEST_CASE("on PostgreSQL the tenant's role gets its schema's tables but never the migration ledger") {
  if (!testing::postgres_admin_url()) return;
  TestDatabase database(db::Backend::postgresql);
  TenancyWorld world(database);
  auto privileges = [&](const std::string& schema, const std::string& relation, const std::string& kind) {
    std::string role = tenancy::roles::role_for(world.pool->url().database, schema);
    std::string qualified = "\"" + schema + "\"." + relation;
    auto lease = world.pool->acquire();
    int allowed = 0;
    lease->session() << (kind == "sequence" ? "SELECT has_sequence_privilege(:r, :q, 'USAGE')::int"
                                            : "SELECT has_table_privilege(:r, :q, 'SELECT')::int"),
        soci::use(role), soci::use(qualified), soci::into(allowed);
    return allowed == 1;
  };
  // A schema Calyx creates: tables the migrations add are granted, the ledger is not.
  auto fresh = world.create("fresh");
  REQUIRE(world.tenants->enable_module("fresh", "blog").ok());
  CHECK(privileges(fresh.data_location, "blog_posts", "table"));
  CHECK(privileges(fresh.data_location, "blog_posts_id_seq", "sequence"));
  CHECK_FALSE(privileges(fresh.data_location, "calyx_schema_migrations", "table"));

  // A schema the operator made beforehand (CALYX_CREATE_TENANT_SCHEMAS=false), with a table already in it.
  world.options.create_schemas = false;
  world.tenants = std::make_unique<tenancy::Tenancy>(*world.pool, world.options, *world.registry);
  std::string schema = world.options.schema_prefix + "made";
  {
    auto lease = world.pool->acquire();
    lease->session() << "CREATE SCHEMA \"" + schema + "\"";
    lease->session() << "CREATE TABLE \"" + schema + "\".kept (id BIGSERIAL PRIMARY KEY)";
  }
  auto made = world.create("made");
  REQUIRE(made.data_location == schema);
  CHECK(privileges(schema, "kept", "table"));
  CHECK(privileges(schema, "kept_id_seq", "sequence"));
  CHECK_FALSE(privileges(schema, "calyx_schema_migrations", "table"));
}

TEST_CASE("creating a tenant refuses bad input and conflicts, and leaves nothing behind") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme", {"acme.localhost"});
    auto version = world.tenants->version().value();

    auto again = world.tenants->create({"acme", "Again", Isolation::isolated, {}, "", "", {}});
    CHECK(again.error().message() == "a tenant with slug 'acme' already exists");
    auto taken = world.tenants->create({"globex", "Globex", Isolation::isolated, {"ACME.localhost"}, "", "", {}});
    CHECK(taken.error().message() == "domain 'acme.localhost' already belongs to tenant 'acme'");
    CHECK_FALSE(world.tenants->find("globex").ok());  // nothing of it remains
    CHECK(world.tenants->create({"Bad Slug", "X", Isolation::isolated, {}, "", "", {}}).error().message().find("slug") !=
          std::string::npos);
    CHECK(world.tenants->create({"www", "X", Isolation::isolated, {}, "", "", {}}).error().message().find("reserved") !=
          std::string::npos);
    CHECK(world.tenants->create({"noname", "", Isolation::isolated, {}, "", "", {}}).error().message() ==
          "a tenant name of 1 to 100 characters is required");
    CHECK(world.tenants->create({"kid", "Kid", Isolation::isolated, {}, "nobody", "", {}}).error().message() ==
          "parent tenant 'nobody' does not exist");
    auto enterprise = world.tenants->create({"bigco", "BigCo", Isolation::enterprise, {}, "", "postgresql://x@127.0.0.1:1/db", {}});
    CHECK(enterprise.error().message().starts_with("step 'database': cannot connect to postgresql://x@127.0.0.1:1/db"));
    CHECK(world.tenants->version().value() == version);  // no refused attempt changed anything
    CHECK(world.tenants->list()->size() == 1);
  });
}

TEST_CASE("suspend, activate and soft delete; every change moves the version hosts watch") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme");
    auto before = world.tenants->version().value();
    REQUIRE(world.tenants->set_status("acme", TenantStatus::suspended).ok());
    CHECK(world.tenants->find("acme")->status == TenantStatus::suspended);
    CHECK(world.tenants->version().value() > before);
    REQUIRE(world.tenants->set_status("acme", TenantStatus::active).ok());
    REQUIRE(world.tenants->remove("acme", false).ok());
    CHECK(world.tenants->find("acme")->status == TenantStatus::deleted);
    CHECK(world.tenants->set_status("acme", TenantStatus::active).error().message() == "tenant 'acme' is deleted");
    CHECK(world.tenants->set_status("nobody", TenantStatus::active).error().message() == "no tenant 'nobody'");
  });
}

TEST_CASE("enabling a module migrates it in the tenant's scope, sets it up and enables its dependencies") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme");
    auto globex = world.create("globex");
    auto enabled = world.tenants->enable_module("acme", "beta");
    REQUIRE_MESSAGE(enabled.ok(), (enabled.ok() ? "" : enabled.error().message()));
    CHECK(*enabled == std::vector<std::string>{"alpha", "beta"});

    REQUIRE(world.tenants->enable_module("acme", "blog").ok());
    REQUIRE(world.tenants->enable_module("globex", "blog").ok());
    acme = *world.tenants->find("acme");
    globex = *world.tenants->find("globex");
    CHECK(acme.modules == std::vector<std::string>{"alpha", "beta", "blog"});

    // Each tenant got Blog's welcome draft in its own scope; a post of one is not seen by the other.
    CHECK(world.call(acme, "GET", "/blog/editor?format=json").response.body.find("\"slug\":\"welcome\"") != std::string::npos);
    auto posted = world.call(acme, "POST", "/blog/editor/posts", "title=Acme+only");
    CHECK(posted.response.status == 303);
    CHECK(world.call(globex, "GET", "/blog/editor").response.body.find("Acme only") == std::string::npos);
    CHECK(world.call(acme, "GET", "/blog/editor").response.body.find("Acme only") != std::string::npos);

    // Enabling again does nothing; unknown or refused modules are named.
    CHECK(world.tenants->enable_module("acme", "blog")->empty());
    CHECK(world.tenants->enable_module("acme", "nope").error().message() ==
          "no module 'nope' is installed (see calyx module list)");
  });
}

TEST_CASE("a failing setup_tenant leaves the module disabled and says which step failed") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme");
    auto enabled = world.tenants->enable_module("acme", "thrower");
    REQUIRE_FALSE(enabled.ok());
    CHECK(enabled.error().message() ==
          "enabling 'thrower': step 'setup_tenant' failed: setup refused: missing option 'plan'");
    CHECK(world.tenants->find("acme")->modules.empty());
  });
}

TEST_CASE("disabling keeps the data unless purged, and refuses while another module needs it") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme");
    REQUIRE(world.tenants->enable_module("acme", "beta").ok());
    CHECK(world.tenants->disable_module("acme", "alpha", false).error().message() ==
          "module 'alpha' is needed by 'beta', enabled for tenant 'acme'; disable 'beta' first");

    REQUIRE(world.tenants->enable_module("acme", "blog").ok());
    auto acme = *world.tenants->find("acme");
    world.call(acme, "POST", "/blog/editor/posts", "title=Keep+me");
    REQUIRE(world.tenants->disable_module("acme", "blog", false).ok());
    CHECK(world.tenants->find("acme")->modules == std::vector<std::string>{"alpha", "beta"});
    REQUIRE(world.tenants->enable_module("acme", "blog").ok());
    acme = *world.tenants->find("acme");
    CHECK(world.call(acme, "GET", "/blog/editor").response.body.find("Keep me") != std::string::npos);

    REQUIRE(world.tenants->disable_module("acme", "blog", true).ok());
    REQUIRE(world.tenants->enable_module("acme", "blog").ok());
    acme = *world.tenants->find("acme");
    CHECK(world.call(acme, "GET", "/blog/editor").response.body.find("Keep me") == std::string::npos);
    CHECK(world.tenants->disable_module("acme", "nope", false).error().message() ==
          "module 'nope' is not enabled for tenant 'acme'");
  });
}

TEST_CASE("purging a tenant removes its data location and records") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme", {"acme.localhost"});
    REQUIRE(world.tenants->enable_module("acme", "blog").ok());
    REQUIRE(world.tenants->remove("acme", true).ok());
    CHECK_FALSE(world.tenants->find("acme").ok());
    if (database.backend() == db::Backend::sqlite) CHECK_FALSE(std::filesystem::exists(acme.data_location));
    // The slug and domain are free again.
    world.create("acme", {"acme.localhost"});
  });
}

TEST_CASE("a tenant created with modules gets them at once; a failing module undoes the whole creation") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto created = world.tenants->create({"acme", "Acme", Isolation::isolated, {"acme.localhost"}, "", "", {"notes", "blog"}});
    REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message()));
    CHECK(created->modules == std::vector<std::string>{"blog", "notes"});
    // tenant_created reached the tenant's own modules, in its own data.
    CHECK(world.call(*created, "GET", "/notes").response.body.find("tenant_created: acme") != std::string::npos);

    auto version = world.tenants->version().value();
    auto failed = world.tenants->create({"globex", "Globex", Isolation::isolated, {"globex.localhost"}, "", "", {"notes", "thrower"}});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().message() ==
          "step 'module thrower': enabling 'thrower': step 'setup_tenant' failed: setup refused: missing option 'plan'");
    CHECK_FALSE(world.tenants->find("globex").ok());
    CHECK(world.tenants->create({"x-1", "X", Isolation::isolated, {}, "", "", {"crm"}}).error().message() ==
          "no module 'crm' is installed (see calyx module list)");
    // The slug and the domain are free again.
    world.create("globex", {"globex.localhost"});
    CHECK(world.tenants->version().value() > version);
  });
}

TEST_CASE("tenant_deleted reaches the tenant's modules before a soft delete; children are listed by parent") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto parent = world.tenants->create({"acme", "Acme", Isolation::isolated, {}, "", "", {"notes"}});
    REQUIRE(parent.ok());
    REQUIRE(world.tenants->create({"acme-eu", "Acme EU", Isolation::shared, {}, "acme", "", {"notes"}}).ok());
    REQUIRE(world.tenants->create({"acme-us", "Acme US", Isolation::isolated, {}, "acme", "", {}}).ok());
    auto children = world.tenants->children("acme");
    REQUIRE(children.ok());
    REQUIRE(children->size() == 2);
    CHECK((*children)[0].slug == "acme-eu");
    CHECK(world.tenants->children("acme-eu")->empty());
    // A child never sees its parent's data.
    auto eu = world.reload("acme-eu");
    CHECK(world.call(eu, "GET", "/notes").response.body.find("tenant_created: acme\"") == std::string::npos);
    CHECK(world.call(eu, "GET", "/notes").response.body.find("tenant_created: acme-eu") != std::string::npos);

    REQUIRE(world.tenants->remove("acme", false).ok());
    auto deleted = world.reload("acme");
    CHECK(world.call(deleted, "GET", "/notes").response.body.find("tenant_deleted: acme") != std::string::npos);
  });
}
