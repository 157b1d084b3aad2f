// The backend-specific half of core/db: scripts and transaction state go through the native handles
// (sqlite3*, PGconn*) that SOCI exposes, because SOCI prepares one statement at a time.
#include <calyx/db/dialect.hpp>

#include "db/native.hpp"

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace calyx::db::dialect {
namespace {

Status execute_sqlite_script(soci::session& session, std::string_view sql) {
  sqlite3* db = native_sqlite(session);
  if (!db) return Error::internal("not an open SQLite session");
  std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* message = nullptr;
  int rc = sqlite_api::sqlite3_exec(db, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Ok{};
  std::unique_ptr<char, decltype(&sqlite_api::sqlite3_free)> owned(message, &sqlite_api::sqlite3_free);
  return Error::failed(message ? message : sqlite_api::sqlite3_errstr(rc));
}

Status execute_postgresql_script(soci::session& session, std::string_view sql) {
  PGconn* conn = native_postgresql(session);
  if (!conn) return Error::internal("not an open PostgreSQL session");
  std::string text(sql);
  // PQexec runs a multi-statement string with the simple query protocol; it returns the last result, and
  // stops at the first failing statement.
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, text.c_str()), &PQclear);
  if (!result) return Error::unavailable(PQerrorMessage(conn));
  auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return Ok{};
  std::string message = PQresultErrorMessage(result.get());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Error::failed(message);
}

}  // namespace

void prepare_connection(soci::session& session, Backend backend, std::chrono::milliseconds busy_timeout) {
  if (backend == Backend::sqlite) {
    // busy_timeout first: switching to WAL needs a lock another connection may hold.
    session << fmt::format("PRAGMA busy_timeout = {}", busy_timeout.count());
    std::string mode;
    session << "PRAGMA journal_mode = WAL", soci::into(mode);
    session << "PRAGMA foreign_keys = ON";
    session << "PRAGMA synchronous = NORMAL";
    register_sqlite_scope_function(session);
  } else {
    session << "SET client_min_messages TO WARNING";
  }
}

Status execute_script(soci::session& session, Backend backend, std::string_view sql) {
  return backend == Backend::sqlite ? execute_sqlite_script(session, sql)
                                    : execute_postgresql_script(session, sql);
}

std::string_view begin_write_sql(Backend backend) {
  return backend == Backend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN";
}

bool in_transaction(soci::session& session, Backend backend) {
  if (backend == Backend::sqlite) {
    sqlite3* db = native_sqlite(session);
    return db && sqlite_api::sqlite3_get_autocommit(db) == 0;
  }
  PGconn* conn = native_postgresql(session);
  if (!conn) return false;
  auto status = PQtransactionStatus(conn);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

bool is_broken(soci::session& session, Backend backend) {
  if (backend == Backend::sqlite) return native_sqlite(session) == nullptr;
  PGconn* conn = native_postgresql(session);
  return conn == nullptr || PQstatus(conn) != CONNECTION_OK;
}

void prepare_once(soci::statement& statement, const std::string& sql) {
  statement.alloc();
  statement.prepare(sql, soci::details::st_one_time_query);
  statement.define_and_bind();
}

bool is_valid_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Result<std::string> quote_identifier(std::string_view name) {
  if (!is_valid_identifier(name)) {
    return Error::invalid_argument(fmt::format(
        "'{}' is not a valid SQL identifier (lower-case letters, digits and '_', starting with a letter "
        "or '_', at most 63 characters)",
        name));
  }
  return fmt::format("\"{}\"", name);
}

}  // namespace calyx::db::dialect

namespace calyx::db::dialect {
namespace {

// Rewrites each `?` outside quotes, comments and dollar-quoted bodies to `prefix` and its number.
std::string rewrite_placeholders(std::string_view sql, std::size_t& count, std::string_view prefix) {
  std::string out;
  out.reserve(sql.size() + 16);
  count = 0;
  std::size_t i = 0;
  auto copy_until = [&](std::string_view end) {
    auto stop = sql.find(end, i);
    stop = stop == std::string_view::npos ? sql.size() : stop + end.size();
    out.append(sql.substr(i, stop - i));
    i = stop;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted literal or identifier; a doubled quote inside it is an escaped quote.
      std::size_t end = i + 1;
      while (end < sql.size()) {
        if (sql[end] == c) {
          if (end + 1 < sql.size() && sql[end + 1] == c) {
            end += 2;
            continue;
          }
          break;
        }
        ++end;
      }
      end = std::min(end + 1, sql.size());
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (sql.substr(i, 2) == "--") {
      copy_until("\n");
    } else if (sql.substr(i, 2) == "/*") {
      copy_until("*/");
    } else if (c == '$') {
      // PostgreSQL dollar quoting: $tag$ ... $tag$ (the tag may be empty).
      auto close = sql.find('$', i + 1);
      std::string_view tag = close == std::string_view::npos ? std::string_view() : sql.substr(i, close - i + 1);
      bool is_tag = !tag.empty() && std::all_of(tag.begin() + 1, tag.end() - 1, [](char t) {
        return (t >= 'a' && t <= 'z') || (t >= 'A' && t <= 'Z') || (t >= '0' && t <= '9') || t == '_';
      });
      if (is_tag) {
        out.append(tag);
        i += tag.size();
        copy_until(tag);
      } else {
        out += c;
        ++i;
      }
    } else if (c == '?') {
      out += prefix;
      out += std::to_string(++count);
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string positional_to_named(std::string_view sql, std::size_t& count) {
  return rewrite_placeholders(sql, count, ":p");
}

std::string positional_to_numbered(std::string_view sql, std::size_t& count) {
  return rewrite_placeholders(sql, count, "$");
}

namespace {

// The keyword at the start of `sql` past blanks, comments and opening parentheses; *end receives where it ends.
std::string first_word(std::string_view sql, std::size_t* end) {
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      if (i != std::string_view::npos) i += 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++])));
  }
  *end = std::min(i, sql.size());
  return word;
}

}  // namespace

Keywords leading_keywords(std::string_view sql) {
  std::size_t end = 0;
  Keywords keywords;
  keywords.first = first_word(sql, &end);
  keywords.second = first_word(sql.substr(end), &end);
  return keywords;
}

}  // namespace calyx::db::dialect
