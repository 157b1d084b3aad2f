// The migrations engine on both backends: fresh apply, idempotent re-run, a failing migration rolled back
// whole, refusal of edited and unknown migrations, schema scopes, and the file naming rules.
#include "support/test_database.hpp"

#include <calyx/migrations/migrator.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <thread>

using namespace calyx;
using calyx::migrations::MigrationFile;
using calyx::migrations::Migrator;
using calyx::migrations::Scope;
using calyx::testing::every_backend;
using calyx::testing::TestDatabase;

namespace {

std::vector<migrations::Migration> parse(std::vector<MigrationFile> files) {
  auto parsed = migrations::parse_migration_files(files);
  REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message()));
  return *parsed;
}

const std::vector<MigrationFile> kTwo = {
    {"0001_create_contacts.sql", "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
                                 "CREATE INDEX contacts_name ON contacts (name);"},
    {"0002_add_email.sql", "ALTER TABLE contacts ADD COLUMN email TEXT;"},
};

bool table_exists(db::ConnectionPool& pool, const std::string& table) {
  auto lease = pool.acquire();
  int count = 0;
  if (pool.backend() == db::Backend::sqlite) {
    lease->session() << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t", soci::use(table),
        soci::into(count);
  } else {
    lease->session() << "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = :t", soci::use(table),
        soci::into(count);
  }
  return count > 0;
}

}  // namespace

TEST_CASE("pending migrations are applied in order and recorded with a checksum") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    Migrator migrator(*pool, Scope{});
    auto report = migrator.apply(parse(kTwo));
    REQUIRE_MESSAGE(report.ok(), (report.ok() ? "" : report.error().message()));
    CHECK(report->applied == std::vector<std::string>{"0001_create_contacts", "0002_add_email"});
    CHECK(report->already_applied == 0);

    auto recorded = migrator.applied();
    REQUIRE(recorded.ok());
    REQUIRE(recorded->size() == 2);
    CHECK((*recorded)[0].version == 1);
    CHECK((*recorded)[0].name == "create_contacts");
    CHECK((*recorded)[0].checksum == parse(kTwo)[0].checksum(database.backend()));
    CHECK((*recorded)[0].checksum.size() == 64);

    auto lease = pool->acquire();
    lease->session() << "INSERT INTO contacts (id, name, email) VALUES (1, 'Ada', 'ada@example.com')";
  });
}

TEST_CASE("running migrations again applies nothing") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    Migrator migrator(*pool, Scope{});
    REQUIRE(migrator.apply(parse(kTwo)).ok());
    auto again = migrator.apply(parse(kTwo));
    REQUIRE(again.ok());
    CHECK(again->applied.empty());
    CHECK(again->already_applied == 2);
    CHECK(migrator.pending(parse(kTwo))->empty());
  });
}

TEST_CASE("a migration that fails half-way leaves no trace and names itself and the SQL error") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    Migrator migrator(*pool, Scope{});
    auto files = kTwo;
    files.push_back({"0003_broken.sql",
                     "CREATE TABLE audit (id INTEGER);\nINSERT INTO audit (id) VALUES (1);\nSELECT * FROM no_such_table;"});
    files.push_back({"0004_after.sql", "CREATE TABLE after_broken (id INTEGER);"});
    auto report = migrator.apply(parse(files));
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().code() == Error::Code::failed);
    const std::string& message = report.error().message();
    CHECK(message.find("host migration 0003_broken failed and was rolled back") != std::string::npos);
    CHECK(message.find("no_such_table") != std::string::npos);

    CHECK(table_exists(*pool, "contacts"));  // earlier migrations stay applied
    CHECK_FALSE(table_exists(*pool, "audit"));  // nothing of the failing one
    CHECK_FALSE(table_exists(*pool, "after_broken"));  // nothing after it ran
    auto recorded = migrator.applied();
    REQUIRE(recorded.ok());
    CHECK(recorded->size() == 2);

    // Fixed, it applies from where it stopped.
    files[2].content = "CREATE TABLE audit (id INTEGER);";
    auto resumed = migrator.apply(parse(files));
    REQUIRE(resumed.ok());
    CHECK(resumed->applied == std::vector<std::string>{"0003_broken", "0004_after"});
  });
}

TEST_CASE("an applied migration that was edited is refused") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    Migrator migrator(*pool, Scope{});
    REQUIRE(migrator.apply(parse(kTwo)).ok());
    auto edited = kTwo;
    edited[1].content = "ALTER TABLE contacts ADD COLUMN phone TEXT;";
    edited.push_back({"0003_more.sql", "CREATE TABLE more (id INTEGER);"});
    auto report = migrator.apply(parse(edited));
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().code() == Error::Code::conflict);
    CHECK(report.error().message().find("migration 0002_add_email was changed after it was applied") !=
          std::string::npos);
    CHECK_FALSE(table_exists(*pool, "more"));  // nothing applied after a refusal
  });
}

TEST_CASE("a recorded migration this build does not know is refused") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    Migrator migrator(*pool, Scope{});
    REQUIRE(migrator.apply(parse(kTwo)).ok());
    auto older = std::vector<MigrationFile>{kTwo[0]};
    auto report = migrator.apply(parse(older));
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().message().find("0002_add_email is applied in the database but unknown to this build") !=
          std::string::npos);
  });
}

TEST_CASE("components number their migrations independently in one database") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    REQUIRE(Migrator(*pool, Scope{"host", ""}).apply(parse({{"0001_a.sql", "CREATE TABLE a (id INTEGER);"}})).ok());
    auto crm = Migrator(*pool, Scope{"crm", ""}).apply(parse({{"0001_b.sql", "CREATE TABLE b (id INTEGER);"}}));
    REQUIRE(crm.ok());
    CHECK(crm->applied == std::vector<std::string>{"0001_b"});
  });
}

TEST_CASE("dialect-specific files serve their own backend") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    auto migrations = parse({
        {"0001_create_events.sqlite.sql", "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT);"},
        {"0001_create_events.postgresql.sql", "CREATE TABLE events (id BIGSERIAL PRIMARY KEY, kind TEXT);"},
    });
    REQUIRE(Migrator(*pool, Scope{}).apply(migrations).ok());
    auto lease = pool->acquire();
    lease->session() << "INSERT INTO events (kind) VALUES ('x')";
    long long id = 0;
    lease->session() << "SELECT id FROM events", soci::into(id);
    CHECK(id == 1);
  });
}

TEST_CASE("a PostgreSQL schema scope applies and records inside that schema only") {
  TestDatabase database(db::Backend::postgresql);
  auto pool = database.open_pool();
  {
    auto lease = pool->acquire();
    lease->session() << "CREATE SCHEMA tenant_acme";
  }
  auto report = Migrator(*pool, Scope{"crm", "tenant_acme"}).apply(parse(kTwo));
  REQUIRE_MESSAGE(report.ok(), (report.ok() ? "" : report.error().message()));
  auto lease = pool->acquire();
  int in_schema = 0, in_public = 0;
  lease->session() << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'tenant_acme'",
      soci::into(in_schema);
  lease->session() << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
      soci::into(in_public);
  CHECK(in_schema == 2);  // contacts + calyx_schema_migrations
  CHECK(in_public == 0);
  // search_path was transaction-local: the connection is back on its default.
  std::string path;
  lease->session() << "SHOW search_path", soci::into(path);
  CHECK(path.find("tenant_acme") == std::string::npos);
}

TEST_CASE("a schema scope with a bad name is refused before any SQL runs") {
  TestDatabase database(db::Backend::postgresql);
  auto pool = database.open_pool();
  auto report = Migrator(*pool, Scope{"crm", "acme\"; DROP SCHEMA public; --"}).apply(parse(kTwo));
  REQUIRE_FALSE(report.ok());
  CHECK(report.error().message().find("not a valid SQL identifier") != std::string::npos);
}

TEST_CASE("two migrators racing on one database apply each migration once") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    auto migrations = parse(kTwo);
    Result<migrations::MigrationReport> first = Error::internal("not run"), second = Error::internal("not run");
    std::thread a([&] { first = Migrator(*pool, Scope{}).apply(migrations); });
    std::thread b([&] { second = Migrator(*pool, Scope{}).apply(migrations); });
    a.join();
    b.join();
    REQUIRE_MESSAGE(first.ok(), (first.ok() ? "" : first.error().message()));
    REQUIRE_MESSAGE(second.ok(), (second.ok() ? "" : second.error().message()));
    CHECK(first->applied.size() + second->applied.size() == 2);
  });
}

TEST_CASE("badly named, duplicate and unpaired migration files are refused by name") {
  auto bad = migrations::parse_migration_files(std::vector<MigrationFile>{{"create_things.sql", ""}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("'create_things.sql' is badly named") != std::string::npos);

  auto upper = migrations::parse_migration_files(std::vector<MigrationFile>{{"0001_Create.sql", ""}});
  CHECK_FALSE(upper.ok());

  auto duplicate = migrations::parse_migration_files(
      std::vector<MigrationFile>{{"0001_a.sql", ""}, {"0001_b.sql", ""}});
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.error().message().find("version 0001 is used by both '0001_a.sql' and '0001_b.sql'") !=
        std::string::npos);

  auto unpaired = migrations::parse_migration_files(std::vector<MigrationFile>{{"0002_x.sqlite.sql", ""}});
  REQUIRE_FALSE(unpaired.ok());
  CHECK(unpaired.error().message().find("exists only for sqlite") != std::string::npos);
}
