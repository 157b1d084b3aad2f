// Where the database is: the parsed form of CALYX_DATABASE_URL (`sqlite:PATH` or
// `postgresql://user:pass@host:port/db?param=value`), and the connection string SOCI expects for it.
// Thread-safety: a plain value.
#pragma once

#include <calyx/db/backend.hpp>
#include <calyx/result.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace calyx::db {

struct DatabaseUrl {
  Backend backend = Backend::sqlite;
  std::string path;  // sqlite: the file path, as given (relative paths are relative to the working directory)
  std::string host;  // postgresql: host name or address
  std::uint16_t port = 5432;
  std::string user;
  std::string password;  // percent-decoded
  std::string database;
  std::map<std::string, std::string> options;  // query parameters handed to libpq (sslmode, ...)

  // Parses `sqlite:PATH`, `postgresql://...` or `postgres://...`; errors say what is wrong with the URL.
  static Result<DatabaseUrl> parse(std::string_view url);

  // The connection string for soci::session (libpq keyword=value form for PostgreSQL).
  std::string soci_connection_string() const;

  // The URL with its password masked, for logs and error messages.
  std::string redacted() const;
};

}  // namespace calyx::db
