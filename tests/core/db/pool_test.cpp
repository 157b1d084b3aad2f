// The connection pool on both backends: bounded size, timeouts, replacement of broken connections, and no
// connection handed out mid-transaction.
#include "support/test_database.hpp"

#include <calyx/db/dialect.hpp>
#include <calyx/db/pool.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <thread>

using namespace calyx;
using calyx::testing::every_backend;
using calyx::testing::TestDatabase;

TEST_CASE("an exhausted pool waits, then times out with a clear error") {
  every_backend([](TestDatabase& database) {
    auto options = TestDatabase::quick_options();
    options.size = 2;
    auto pool = database.open_pool(options);
    auto first = pool->acquire();
    auto second = pool->acquire();
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(pool->open_connections() == 2);

    auto started = std::chrono::steady_clock::now();
    auto third = pool->acquire(std::chrono::milliseconds(150));
    REQUIRE_FALSE(third.ok());
    CHECK(third.error().code() == Error::Code::timeout);
    CHECK(third.error().message().find("no database connection became free within 150 ms") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));
  });
}

TEST_CASE("a holder's second connection is opened beside a full pool, and closes when given back") {
  every_backend([](TestDatabase& database) {
    auto options = TestDatabase::quick_options();
    options.size = 1;
    options.acquire_timeout = std::chrono::milliseconds(200);
    auto pool = database.open_pool(options);
    auto held = pool->acquire();
    REQUIRE(held.ok());
    {
      auto beside = pool->acquire_beside();
      REQUIRE(beside.ok());
      CHECK(pool->open_connections() == 2);
      auto again = pool->acquire_beside();  // twice the size at most: this one waits, then times out
      CHECK(again.error().code() == Error::Code::timeout);
    }
    CHECK(pool->open_connections() == 1);
    CHECK(pool->idle_connections() == 0);  // the extra one closed; the held one is still out
  });
}

TEST_CASE("a waiter gets the connection another thread gives back") {
  every_backend([](TestDatabase& database) {
    auto options = TestDatabase::quick_options();
    options.size = 1;
    auto pool = database.open_pool(options);
    std::optional<db::Lease> held(std::move(pool->acquire().value()));
    std::thread releaser([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      held.reset();
    });
    auto next = pool->acquire(std::chrono::seconds(5));
    releaser.join();
    REQUIRE(next.ok());
    CHECK(pool->open_connections() == 1);
  });
}

TEST_CASE("a sqlite connection runs in WAL mode with foreign keys and a busy timeout") {
  TestDatabase database(db::Backend::sqlite);
  auto pool = database.open_pool();
  auto lease = pool->acquire();
  REQUIRE(lease.ok());
  std::string journal;
  int foreign_keys = 0, busy_timeout = 0;
  lease->session() << "PRAGMA journal_mode", soci::into(journal);
  lease->session() << "PRAGMA foreign_keys", soci::into(foreign_keys);
  lease->session() << "PRAGMA busy_timeout", soci::into(busy_timeout);
  CHECK(journal == "wal");
  CHECK(foreign_keys == 1);
  CHECK(busy_timeout == 5000);
}

TEST_CASE("a connection killed by the server is replaced on the next acquire") {
  TestDatabase database(db::Backend::postgresql);
  auto options = TestDatabase::quick_options();
  options.size = 1;
  options.validate_after_idle = std::chrono::milliseconds(0);
  auto pool = database.open_pool(options);
  int first_pid = 0;
  {
    auto lease = pool->acquire();
    REQUIRE(lease.ok());
    lease->session() << "SELECT pg_backend_pid()", soci::into(first_pid);
  }
  testing::postgres_admin_execute("SELECT pg_terminate_backend(" + std::to_string(first_pid) + ")");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto lease = pool->acquire();
  REQUIRE(lease.ok());
  int second_pid = 0;
  lease->session() << "SELECT pg_backend_pid()", soci::into(second_pid);
  CHECK(second_pid != 0);
  CHECK(second_pid != first_pid);
  CHECK(pool->open_connections() == 1);
}

TEST_CASE("a connection that failed during use is dropped when given back") {
  TestDatabase database(db::Backend::postgresql);
  auto options = TestDatabase::quick_options();
  options.size = 1;
  options.validate_after_idle = std::chrono::hours(1);  // no ping: the release check must catch it
  auto pool = database.open_pool(options);
  {
    auto lease = pool->acquire();
    int pid = 0;
    lease->session() << "SELECT pg_backend_pid()", soci::into(pid);
    testing::postgres_admin_execute("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_THROWS(lease->session() << "SELECT 1");
  }
  CHECK(pool->open_connections() == 0);
  auto lease = pool->acquire();
  REQUIRE(lease.ok());
  int one = 0;
  lease->session() << "SELECT 1", soci::into(one);
  CHECK(one == 1);
}

TEST_CASE("a connection given back inside a transaction is rolled back before reuse") {
  every_backend([](TestDatabase& database) {
    auto options = TestDatabase::quick_options();
    options.size = 1;
    auto pool = database.open_pool(options);
    {
      auto lease = pool->acquire();
      lease->session() << "CREATE TABLE notes (body TEXT)";
      lease->session() << "BEGIN";
      lease->session() << "INSERT INTO notes (body) VALUES ('uncommitted')";
      CHECK(db::dialect::in_transaction(lease->session(), database.backend()));
    }
    auto lease = pool->acquire();
    REQUIRE(lease.ok());
    CHECK_FALSE(db::dialect::in_transaction(lease->session(), database.backend()));
    int count = -1;
    lease->session() << "SELECT COUNT(*) FROM notes", soci::into(count);
    CHECK(count == 0);
  });
}

TEST_CASE("a Transaction commits or rolls back as asked") {
  every_backend([](TestDatabase& database) {
    auto pool = database.open_pool();
    auto lease = pool->acquire();
    lease->session() << "CREATE TABLE items (name TEXT)";
    {
      db::Transaction tx(*lease);
      lease->session() << "INSERT INTO items (name) VALUES ('kept')";
      tx.commit();
    }
    {
      db::Transaction tx(*lease);
      lease->session() << "INSERT INTO items (name) VALUES ('dropped')";
    }
    int count = 0;
    lease->session() << "SELECT COUNT(*) FROM items", soci::into(count);
    CHECK(count == 1);
  });
}

TEST_CASE("opening a pool on an unreachable database fails with the redacted URL") {
  auto url = db::DatabaseUrl::parse("postgresql://calyx:hunter2@127.0.0.1:1/nothing");
  REQUIRE(url.ok());
  auto pool = db::ConnectionPool::open(*url);
  REQUIRE_FALSE(pool.ok());
  CHECK(pool.error().code() == Error::Code::unavailable);
  CHECK(pool.error().message().find("cannot connect to postgresql://calyx:***@127.0.0.1:1/nothing") !=
        std::string::npos);
  CHECK(pool.error().message().find("hunter2") == std::string::npos);
}

TEST_CASE("identifiers are validated before they are quoted") {
  CHECK(db::dialect::quote_identifier("tenant_acme").value() == "\"tenant_acme\"");
  CHECK_FALSE(db::dialect::quote_identifier("Tenant").ok());
  CHECK_FALSE(db::dialect::quote_identifier("a\"; DROP TABLE x; --").ok());
  CHECK_FALSE(db::dialect::quote_identifier("1abc").ok());
  CHECK_FALSE(db::dialect::quote_identifier(std::string(64, 'a')).ok());
  CHECK(db::dialect::quote_identifier(std::string(63, 'a')).ok());
}
