// ChangeSignal: a commit on another connection (with NOTIFY on PostgreSQL) wakes the waiter; silence times out.
#include "support/test_database.hpp"

#include <calyx/db/change_signal.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

#include <thread>

using namespace calyx;

TEST_CASE("a change committed elsewhere wakes the waiting thread; no change times out") {
  testing::every_backend([](testing::TestDatabase& database) {
    auto pool = database.open_pool();
    {
      auto lease = pool->acquire();
      lease->session() << "CREATE TABLE counter (n INTEGER)";
    }
    auto signal = db::ChangeSignal::open(database.url(), "calyx_test_channel");
    REQUIRE(signal.ok());
    (void)(*signal)->wait(std::chrono::milliseconds(50));  // settles the first observation
    CHECK((*signal)->wait(std::chrono::milliseconds(100)).value() == false);

    std::thread writer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto lease = pool->acquire();
      lease->session() << "INSERT INTO counter (n) VALUES (1)";
      if (database.backend() == db::Backend::postgresql) lease->session() << "NOTIFY calyx_test_channel";
    });
    auto started = std::chrono::steady_clock::now();
    bool changed = false;
    while (!changed && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
      changed = (*signal)->wait(std::chrono::milliseconds(500)).value();
    }
    writer.join();
    CHECK(changed);
    CHECK((*signal)->wait(std::chrono::milliseconds(100)).value() == false);  // consumed
  });
  CHECK(db::ChangeSignal::open(db::DatabaseUrl::parse("postgresql://u@127.0.0.1:1/x").value(), "bad channel")
            .error()
            .message() == "'bad channel' is not a valid notification channel");
}
