// Throwaway databases for tests, on both backends. SQLite: a file in a temp directory. PostgreSQL: a fresh
// database created on the server named by CALYX_TEST_POSTGRES_URL (started by scripts/with-postgres), dropped
// afterwards. every_backend() runs a test body once per backend so every data behaviour is proven on both.
#pragma once

#include "support/temp_dir.hpp"

#include <calyx/db/database_url.hpp>
#include <calyx/db/pool.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace calyx::testing {

// The admin URL of the test PostgreSQL server, or nullopt when PostgreSQL tests are explicitly skipped.
// Missing without CALYX_TEST_SKIP_POSTGRES=1 is a test failure: the suite must not pass without PostgreSQL.
std::optional<db::DatabaseUrl> postgres_admin_url();

class TestDatabase {
 public:
  explicit TestDatabase(db::Backend backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  db::Backend backend() const { return url_.backend; }
  const db::DatabaseUrl& url() const { return url_; }
  std::string url_text() const;

  // A pool on this database (options default to a small, quick pool).
  std::unique_ptr<db::ConnectionPool> open_pool(db::PoolOptions options = quick_options()) const;
  static db::PoolOptions quick_options();

  // PostgreSQL: drops the database now, disconnecting everyone (simulates the database going away).
  void drop_now();

 private:
  TempDir dir_;
  db::DatabaseUrl url_;
  bool dropped_ = false;
};

// Runs `body` once on SQLite and once on PostgreSQL (unless skipped), each on a fresh database.
void every_backend(const std::function<void(TestDatabase&)>& body);

// Runs one SQL statement on the PostgreSQL admin database.
void postgres_admin_execute(const std::string& sql);

}  // namespace calyx::testing
