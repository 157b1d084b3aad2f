// Module routes run against a real database on both backends: data written through the ABI, one
// transaction per call (rolled back when the handler fails), savepoints, errors mapped to statuses,
// settings, hooks, templates, and on PostgreSQL schema scoping.
#include "cli/host_migrations.hpp"
#include "support/fixture_modules.hpp"
#include "support/test_database.hpp"

#include <calyx/migrations/migrator.hpp>
#include <calyx/modules/dispatch.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace calyx;
using calyx::testing::TestDatabase;

namespace {

// A database with the host's migrations, the notes module migrated into `schema`, and a registry.
struct ModuleWorld {
  explicit ModuleWorld(TestDatabase& database, std::string schema_name = "",
                       db::PoolOptions options = TestDatabase::quick_options())
      : schema(std::move(schema_name)) {
    pool = database.open_pool(options);
    auto files = calyx_host_migration_files();
    REQUIRE(migrations::Migrator(*pool, migrations::Scope{}).apply(migrations::parse_migration_files(files).value()).ok());
    modules::ModuleLoader loader(modules::host_api());
    registry = std::make_unique<modules::ModuleRegistry>(modules::ModuleRegistry::build(loader.discover(dir.path())));
    REQUIRE(registry->find("notes"));
    migrate(schema);
  }

  void migrate(const std::string& into) {
    if (!into.empty()) {
      auto lease = pool->acquire();
      lease->session() << "CREATE SCHEMA IF NOT EXISTS " + into;
    }
    auto applied = migrations::Migrator(*pool, migrations::Scope{"notes", into}).apply(registry->find("notes")->migrations);
    REQUIRE_MESSAGE(applied.ok(), (applied.ok() ? "" : applied.error().message()));
  }

  modules::DispatchOutcome call(const std::string& method, const std::string& path, const std::string& body = "",
                                std::int64_t tenant_id = 7, const std::string& in_schema = "#") {
    auto question = path.find('?');
    std::string route_path = path.substr(0, question);
    auto match = registry->route(method, route_path);
    REQUIRE_MESSAGE(match, "no route for ", method, " ", path);
    modules::RequestView request{method, route_path, question == std::string::npos ? "" : path.substr(question + 1), body, {}, {}};
    modules::CallScope scope;
    scope.tenant = {tenant_id, "acme", "Acme", "isolated"};
    scope.user.id = 3;
    scope.user.email = "ann@example.com";
    scope.user.permissions = {"notes.write"};
    scope.data = {pool.get(), in_schema == "#" ? schema : in_schema};
    scope.host_pool = pool.get();
    scope.active_modules = {"notes", "alpha"};
    return modules::run_route(*registry, *match, request, scope);
  }

  testing::ModulesDir dir{"notes", "good_alpha"};
  std::string schema;
  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<modules::ModuleRegistry> registry;
};

}  // namespace

TEST_CASE("a module writes and reads its rows through the ABI") {
  testing::every_backend([](TestDatabase& database) {
    ModuleWorld world(database);
    auto created = world.call("POST", "/notes", "body=hello+world&score=5");
    CHECK(created.status == CALYX_OK);
    CHECK(created.response.status == 201);
    auto listed = world.call("GET", "/notes");
    REQUIRE(listed.status == CALYX_OK);
    CHECK(listed.response.body == R"([{"id":1,"body":"hello world","score":5,"rating":null}])");
  });
}

TEST_CASE("a handler that fails after writing leaves nothing behind") {
  testing::every_backend([](TestDatabase& database) {
    ModuleWorld world(database);
    auto failed = world.call("POST", "/notes/then-fail");
    CHECK(failed.status == CALYX_ERROR);
    CHECK(failed.error == "failed after writing");
    CHECK(world.call("GET", "/notes").response.body == "[]");
  });
}

TEST_CASE("a module transaction rolled back inside the call keeps the call's other work") {
  testing::every_backend([](TestDatabase& database) {
    ModuleWorld world(database);
    CHECK(world.call("POST", "/notes/savepoint").status == CALYX_OK);
    auto body = world.call("GET", "/notes").response.body;
    CHECK(body.find("outer") != std::string::npos);
    CHECK(body.find("inner") == std::string::npos);
  });
}

TEST_CASE("database errors reach the module as statuses with the database's message") {
  testing::every_backend([](TestDatabase& database) {
    ModuleWorld world(database);
    CHECK(world.call("POST", "/notes", "body=once").status == CALYX_OK);
    auto duplicate = world.call("POST", "/notes", "body=once");
    CHECK(duplicate.status == CALYX_CONFLICT);

    auto bad = world.call("GET", "/notes/bad-sql");
    CHECK(bad.status == CALYX_ERROR);
    CHECK(bad.error.find("nowhere") != std::string::npos);

    auto arity = world.call("GET", "/notes/wrong-arity");
    CHECK(arity.status == CALYX_INVALID_ARGUMENT);
    CHECK(arity.error == "the statement has 1 '?' placeholder(s) but 2 parameter(s) were given");

    auto missing_body = world.call("POST", "/notes", "score=1");
    CHECK(missing_body.status == CALYX_INVALID_ARGUMENT);
    CHECK(missing_body.error == "body is required");
  });
}

TEST_CASE("a call's reads run alone until it writes; from then on one transaction holds the call's work") {
  testing::every_backend([](TestDatabase& database) {
    ModuleWorld world(database);
    CHECK(world.call("GET", "/notes/visit").response.body == "seen 0");
    CHECK(world.call("GET", "/notes/visit").response.body == "seen 1");
    auto failed = world.call("GET", "/notes/visit?fail");
    CHECK(failed.status == CALYX_ERROR);
    CHECK(world.call("GET", "/notes/visit").response.body == "seen 2");  // the failed visit's row is gone
    // Ending the host's transaction is refused before it runs, and the call's work is rolled back.
    auto commit = world.call("GET", "/notes/visit?commit");
    CHECK(commit.status == CALYX_INVALID_ARGUMENT);
    CHECK(commit.error.find("may not run 'commit'") != std::string::npos);
    CHECK(world.call("GET", "/notes/visit").response.body == "seen 3");
    // Statements that would outlive the call on the pooled connection are refused before they run.
    for (const char* sql : {"RESET ROLE", "SET search_path TO public", "/* quiet */ set role postgres",
                            "SET SESSION AUTHORIZATION postgres", "DEALLOCATE ALL", "DISCARD ALL", "PREPARE p AS SELECT 1",
                            "BEGIN", "END", "ROLLBACK", "SAVEPOINT mine"}) {
      auto refused = world.call("POST", "/notes/sql", sql);
      CHECK_MESSAGE(refused.status == CALYX_INVALID_ARGUMENT, sql);
      CHECK_MESSAGE(refused.error.find("a module may not") != std::string::npos, sql, ": ", refused.error);
    }
    if (database.backend() != db::Backend::postgresql) return;

    // A write that reads like a query, and a locking read, are refused as lone reads and run in the transaction.
    auto cte = world.call("GET", "/notes/visit?cte");
    CHECK_MESSAGE(cte.status == CALYX_OK, cte.error);
    auto lock = world.call("GET", "/notes/visit?lock");
    CHECK_MESSAGE(lock.status == CALYX_OK, lock.error);
    CHECK(world.call("GET", "/notes/visit").response.body == "seen 6");
    for (const char* sql : {"SET LOCAL statement_timeout = '5s'", "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"}) {
      auto allowed = world.call("POST", "/notes/sql", sql);
      CHECK_MESSAGE(allowed.status == CALYX_OK, sql, ": ", allowed.error);
    }

    // Every connection went back to the pool as it was lent: no transaction, the login's role and path.
    auto lease = world.pool->acquire();
    REQUIRE(lease.ok());
    std::string user, path, read_only;
    lease->session() << "SELECT current_user, current_setting('search_path'), current_setting('transaction_read_only')",
        soci::into(user), soci::into(path), soci::into(read_only);
    CHECK(user == "postgres");
    CHECK(path == "\"$user\", public");
    CHECK(read_only == "off");
  });
}

TEST_CASE("module settings are kept per tenant and must be a JSON object") {
  testing::every_backend([](TestDatabase& database) {
    ModuleWorld world(database);
    CHECK(world.call("GET", "/notes/settings").response.body == "{}");
    auto saved = world.call("POST", "/notes/settings", R"({"per_page":20})");
    CHECK(saved.status == CALYX_OK);
    CHECK(saved.response.body == R"({"per_page":20})");
    CHECK(world.call("GET", "/notes/settings").response.body == R"({"per_page":20})");
    CHECK(world.call("GET", "/notes/settings", "", 8).response.body == "{}");  // another tenant
    auto rejected = world.call("POST", "/notes/settings", "[1,2]");
    CHECK(rejected.status == CALYX_INVALID_ARGUMENT);
    CHECK(rejected.error == "module settings must be a JSON object");
  });
}

TEST_CASE("a call that holds the pool's every connection still reads its settings") {
  testing::every_backend([](TestDatabase& database) {
    auto one_connection = TestDatabase::quick_options();
    one_connection.size = 1;
    ModuleWorld world(database, "", one_connection);
    REQUIRE(world.call("POST", "/notes/settings", R"({"per_page":5})").status == CALYX_OK);
    auto read = world.call("GET", "/notes/settings?after-query");
    CHECK_MESSAGE(read.status == CALYX_OK, read.error);
    CHECK(read.response.body == R"({"per_page":5})");
    CHECK(world.pool->open_connections() == 1);  // the extra connection closed when given back
  });
}

TEST_CASE("a call knows its tenant, user and permissions; hooks and templates work from a module") {
  testing::every_backend([](TestDatabase& database) {
    ModuleWorld world(database);
    CHECK(world.call("GET", "/notes/whoami").response.body == "acme/7/ann@example.com/w");
    CHECK(world.call("GET", "/notes/hook").response.body == R"({"alpha":true})");
    auto rendered = world.call("GET", "/notes/template");
    CHECK(rendered.response.render_in_layout);
    CHECK(rendered.response.title == "Notes");
    CHECK(rendered.response.body == "<p>&lt;b&gt;me&lt;/b&gt;</p>");
  });
}

TEST_CASE("on PostgreSQL a schema scope confines a module's SQL to that schema") {
  if (!testing::postgres_admin_url()) return;
  TestDatabase database(db::Backend::postgresql);
  ModuleWorld world(database, "tenant_a");
  world.migrate("tenant_b");
  CHECK(world.call("POST", "/notes", "body=for+a", 1, "tenant_a").status == CALYX_OK);
  CHECK(world.call("GET", "/notes", "", 2, "tenant_b").response.body == "[]");
  CHECK(world.call("GET", "/notes", "", 1, "tenant_a").response.body.find("for a") != std::string::npos);
  // The scope was transaction-local: pooled connections come back on the default search_path.
  auto lease = world.pool->acquire();
  std::string path;
  lease->session() << "SHOW search_path", soci::into(path);
  CHECK(path.find("tenant_") == std::string::npos);
}

TEST_CASE("on PostgreSQL a read that runs alone again is prepared for its connection and scope, and kept valid") {
  if (!testing::postgres_admin_url()) return;
  TestDatabase database(db::Backend::postgresql);
  auto one_connection = TestDatabase::quick_options();
  one_connection.size = 1;
  one_connection.prepared_statements = 16;
  ModuleWorld world(database, "tenant_a", one_connection);
  world.migrate("tenant_b");
  REQUIRE(world.call("POST", "/notes", "body=for+a", 1, "tenant_a").status == CALYX_OK);
  REQUIRE(world.call("POST", "/notes", "body=for+b", 2, "tenant_b").status == CALYX_OK);
  // The module statements prepared on a pool's one connection, and how often their plans were reused.
  auto prepared_on = [](db::ConnectionPool& pool) {
    auto lease = pool.acquire();
    REQUIRE(lease.ok());
    long long statements = 0, generic = 0;
    lease->session() << "SELECT count(*), coalesce(sum(generic_plans), 0) FROM pg_prepared_statements "
                        "WHERE name LIKE 'calyx\\_m%'",
        soci::into(statements), soci::into(generic);
    return std::pair{statements, generic};
  };
  auto prepared = [&] { return prepared_on(*world.pool); };

  // Interleaved tenants on one connection: each read prepared for its scope the second time it runs, its plan
  // reused from then on.
  for (int i = 0; i < 4; ++i) {
    auto a = world.call("GET", "/notes", "", 1, "tenant_a").response.body;
    auto b = world.call("GET", "/notes", "", 2, "tenant_b").response.body;
    CHECK((a.find("for a") != std::string::npos && a.find("for b") == std::string::npos));
    CHECK((b.find("for b") != std::string::npos && b.find("for a") == std::string::npos));
  }
  CHECK(prepared() == std::pair{2LL, 6LL});
  // A text that runs once (a value written into the SQL) is not prepared.
  for (int i = 0; i < 3; ++i) {
    CHECK(world.call("POST", "/notes/sql", "SELECT " + std::to_string(i), 1, "tenant_a").status == CALYX_OK);
  }
  CHECK(prepared().first == 2);

  // A migration changes what `SELECT *` returns: the statement is prepared again, the read still answers.
  for (int i = 0; i < 2; ++i) {
    CHECK(world.call("GET", "/notes/columns", "", 1, "tenant_a").response.body == "id,body,score,rating");
  }
  CHECK(prepared().first == 3);
  {
    auto lease = world.pool->acquire();
    lease->session() << "ALTER TABLE tenant_a.notes ADD COLUMN extra TEXT";
  }
  auto columns = world.call("GET", "/notes/columns", "", 1, "tenant_a");
  CHECK_MESSAGE(columns.status == CALYX_OK, columns.error);
  CHECK(columns.response.body == "id,body,score,rating,extra");
  CHECK(prepared().first == 3);  // the outdated statement was deallocated, its successor prepared

  // Statements deallocated behind the host's back (a reset session) are prepared again.
  {
    auto lease = world.pool->acquire();
    lease->session() << "DEALLOCATE ALL";
  }
  auto again = world.call("GET", "/notes", "", 1, "tenant_a");
  CHECK_MESSAGE(again.status == CALYX_OK, again.error);
  CHECK(again.response.body.find("for a") != std::string::npos);
  CHECK(prepared().first == 1);

  // Past the bound, the least recently used statements are deallocated.
  for (int i = 0; i < 20; ++i) {
    for (int twice = 0; twice < 2; ++twice) {
      auto ran = world.call("POST", "/notes/sql", "SELECT " + std::to_string(i), 1, "tenant_a");
      REQUIRE_MESSAGE(ran.status == CALYX_OK, ran.error);
    }
  }
  CHECK(prepared().first == 16);
  for (int i = 0; i < 2; ++i) {
    CHECK(world.call("GET", "/notes", "", 2, "tenant_b").response.body.find("for b") != std::string::npos);
  }
  CHECK(prepared().first == 16);

  // With the bound at 0 nothing is prepared.
  auto unprepared = one_connection;
  unprepared.prepared_statements = 0;
  ModuleWorld plain(database, "tenant_a", unprepared);
  for (int i = 0; i < 3; ++i) {
    CHECK(plain.call("GET", "/notes", "", 1, "tenant_a").response.body.find("for a") != std::string::npos);
  }
  CHECK(prepared_on(*plain.pool).first == 0);
}
