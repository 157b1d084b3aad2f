// The SQLite module-call guard: what the authorizer refuses while a module's statements run, and that the host
// can end the call's transaction once the guard is lifted.
#include "support/test_database.hpp"

#include <calyx/db/module_guard.hpp>
#include <calyx/db/pool.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace calyx;
using calyx::testing::TestDatabase;

TEST_CASE("on SQLite a guarded call cannot end or restart its transaction; the host ends it after the guard") {
  TestDatabase database(db::Backend::sqlite);
  auto pool = database.open_pool();
  auto lease = pool->acquire();
  REQUIRE(lease.ok());
  auto& session = lease->session();
  session << "CREATE TABLE notes (body TEXT)";
  session << "BEGIN";
  db::ModuleStatementState state;
  std::int64_t changed = 0;
  REQUIRE(db::guard_sqlite_module_call(session, 7, &changed, &state).ok());
  session << "INSERT INTO notes VALUES ('kept')";
  for (const char* sql : {"COMMIT", "END", "ROLLBACK", "BEGIN"}) {
    CAPTURE(sql);
    CHECK_THROWS_WITH_AS(session << sql, doctest::Contains("not authorized"), soci::soci_error);
  }
  // Savepoints nest inside the call's transaction and stay allowed.
  session << "SAVEPOINT inner";
  session << "INSERT INTO notes VALUES ('undone')";
  session << "ROLLBACK TO inner";
  session << "RELEASE inner";
  db::release_sqlite_module_call(session);
  session << "COMMIT";
  int rows = 0;
  session << "SELECT COUNT(*) FROM notes", soci::into(rows);
  CHECK(rows == 1);
}
