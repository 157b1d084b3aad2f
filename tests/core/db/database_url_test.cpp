// CALYX_DATABASE_URL parsing: both forms, percent-encoding, and every way a URL can be wrong.
#include <calyx/db/database_url.hpp>

#include <doctest/doctest.h>

using calyx::db::Backend;
using calyx::db::DatabaseUrl;

TEST_CASE("a sqlite URL names a file path") {
  auto url = DatabaseUrl::parse("sqlite:var/calyx.db");
  REQUIRE(url.ok());
  CHECK(url->backend == Backend::sqlite);
  CHECK(url->path == "var/calyx.db");
  CHECK(url->soci_connection_string() == "db=\"var/calyx.db\"");

  auto absolute = DatabaseUrl::parse("sqlite:///srv/calyx/data.db");
  REQUIRE(absolute.ok());
  CHECK(absolute->path == "/srv/calyx/data.db");
}

TEST_CASE("a sqlite URL without a path, in memory, or with a quote is refused") {
  CHECK(DatabaseUrl::parse("sqlite:").error().message().find("no file path") != std::string::npos);
  CHECK(DatabaseUrl::parse("sqlite::memory:").error().message().find("connection pool") != std::string::npos);
  CHECK_FALSE(DatabaseUrl::parse("sqlite:a\"b.db").ok());
}

TEST_CASE("a postgresql URL gives host, port, user, password and database") {
  auto url = DatabaseUrl::parse("postgresql://calyx:secret@db.internal:6432/calyx_prod?sslmode=require");
  REQUIRE(url.ok());
  CHECK(url->backend == Backend::postgresql);
  CHECK(url->host == "db.internal");
  CHECK(url->port == 6432);
  CHECK(url->user == "calyx");
  CHECK(url->password == "secret");
  CHECK(url->database == "calyx_prod");
  CHECK(url->options.at("sslmode") == "require");
  CHECK(url->soci_connection_string() ==
        "host='db.internal' port=6432 dbname='calyx_prod' user='calyx' password='secret' sslmode='require'");
}

TEST_CASE("a percent-encoded password is decoded and quoted for libpq") {
  auto url = DatabaseUrl::parse("postgres://app:p%40ss%3Aw%27rd%20x@127.0.0.1/app");
  REQUIRE(url.ok());
  CHECK(url->password == "p@ss:w'rd x");
  CHECK(url->port == 5432);
  CHECK(url->soci_connection_string().find("password='p@ss:w\\'rd x'") != std::string::npos);
  CHECK(url->redacted() == "postgresql://app:***@127.0.0.1:5432/app");
}

TEST_CASE("an IPv6 host is accepted") {
  auto url = DatabaseUrl::parse("postgresql://u@[::1]:5433/db");
  REQUIRE(url.ok());
  CHECK(url->host == "::1");
  CHECK(url->port == 5433);
}

TEST_CASE("a postgresql URL without a database name is refused with a clear message") {
  auto url = DatabaseUrl::parse("postgresql://calyx:secret@localhost:5432/");
  REQUIRE_FALSE(url.ok());
  CHECK(url.error().message().find("no database name") != std::string::npos);
  CHECK_FALSE(DatabaseUrl::parse("postgresql://calyx@localhost").ok());
}

TEST_CASE("bad postgresql URLs are refused") {
  CHECK(DatabaseUrl::parse("postgresql://localhost:99999/db").error().message().find("bad port") != std::string::npos);
  CHECK(DatabaseUrl::parse("postgresql:///db").error().message().find("no host") != std::string::npos);
  CHECK(DatabaseUrl::parse("postgresql://localhost/a/b").error().message().find("bad database name") !=
        std::string::npos);
  CHECK_FALSE(DatabaseUrl::parse("postgresql://local host/db").ok());
}

TEST_CASE("an unknown scheme is refused") {
  auto url = DatabaseUrl::parse("mysql://root@localhost/db");
  REQUIRE_FALSE(url.ok());
  CHECK(url.error().message().find("expected sqlite:PATH or postgresql://") != std::string::npos);
}
