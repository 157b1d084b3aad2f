#include "support/test_database.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cstdlib>

namespace calyx::testing {

std::optional<db::DatabaseUrl> postgres_admin_url() {
  const char* text = std::getenv("CALYX_TEST_POSTGRES_URL");
  if (!text || !*text) {
    const char* skip = std::getenv("CALYX_TEST_SKIP_POSTGRES");
    if (skip && std::string(skip) == "1") return std::nullopt;
    FAIL("CALYX_TEST_POSTGRES_URL is not set: run the suite with `./dev test` (it starts PostgreSQL), or set "
         "CALYX_TEST_SKIP_POSTGRES=1 to run the SQLite half only");
  }
  auto url = db::DatabaseUrl::parse(text);
  REQUIRE_MESSAGE(url.ok(), "CALYX_TEST_POSTGRES_URL: ", url.ok() ? "" : url.error().message());
  return *url;
}

void postgres_admin_execute(const std::string& sql) {
  auto admin = postgres_admin_url();
  REQUIRE(admin);
  soci::session session(soci::postgresql, admin->soci_connection_string());
  session << sql;
}

TestDatabase::TestDatabase(db::Backend backend) {
  if (backend == db::Backend::sqlite) {
    auto parsed = db::DatabaseUrl::parse("sqlite:" + dir_.file("test.db"));
    REQUIRE(parsed.ok());
    url_ = *parsed;
    return;
  }
  auto admin = postgres_admin_url();
  REQUIRE(admin);
  url_ = *admin;
  url_.database = "calyx_t_" + random_suffix();
  postgres_admin_execute("CREATE DATABASE " + url_.database);
}

TestDatabase::~TestDatabase() {
  if (url_.backend == db::Backend::postgresql && !dropped_) {
    try {
      postgres_admin_execute(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", url_.database));
    } catch (const std::exception& e) {
      MESSAGE("could not drop test database ", url_.database, ": ", e.what());
    }
  }
}

std::string TestDatabase::url_text() const {
  if (url_.backend == db::Backend::sqlite) return "sqlite:" + url_.path;
  return fmt::format("postgresql://{}@{}:{}/{}", url_.user, url_.host, url_.port, url_.database);
}

db::PoolOptions TestDatabase::quick_options() {
  db::PoolOptions options;
  options.size = 4;
  options.acquire_timeout = std::chrono::milliseconds(2000);
  return options;
}

std::unique_ptr<db::ConnectionPool> TestDatabase::open_pool(db::PoolOptions options) const {
  auto pool = db::ConnectionPool::open(url_, options);
  REQUIRE_MESSAGE(pool.ok(), (pool.ok() ? "" : pool.error().message()));
  return std::move(pool.value());
}

void TestDatabase::drop_now() {
  REQUIRE(url_.backend == db::Backend::postgresql);
  postgres_admin_execute(fmt::format("DROP DATABASE {} WITH (FORCE)", url_.database));
  dropped_ = true;
}

void every_backend(const std::function<void(TestDatabase&)>& body) {
  {
    INFO("backend: sqlite");
    TestDatabase database(db::Backend::sqlite);
    body(database);
  }
  if (postgres_admin_url()) {
    INFO("backend: postgresql");
    TestDatabase database(db::Backend::postgresql);
    body(database);
  }
}

}  // namespace calyx::testing
