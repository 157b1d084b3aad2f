// Every difference between SQLite and PostgreSQL that Calyx cares about, in one place: how a new connection
// is set up, how a multi-statement script runs, how a writing transaction starts, whether a connection is
// inside a transaction, and how identifiers are checked and quoted.
// Thread-safety: free functions; each works on the one session it is given (a session is not shared).
#pragma once

#include <calyx/db/backend.hpp>
#include <calyx/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace soci {
class session;
class statement;
}

namespace calyx::db::dialect {

// Prepares a freshly opened connection: on SQLite WAL journal, foreign keys on and a busy timeout.
// Throws soci::soci_error when the database refuses.
void prepare_connection(soci::session& session, Backend backend, std::chrono::milliseconds busy_timeout);

// Runs `sql`, which may hold many statements (including trigger bodies and dollar-quoted functions), with
// the backend's own script execution. The error message is the database's.
Status execute_script(soci::session& session, Backend backend, std::string_view sql);

// The statement that opens a transaction that will write: SQLite takes the write lock up front
// (BEGIN IMMEDIATE) so two writers never deadlock upgrading a read lock.
std::string_view begin_write_sql(Backend backend);

// True when the connection is inside a transaction that was not committed or rolled back, whoever began it.
bool in_transaction(soci::session& session, Backend backend);

// True when the connection is known to be unusable (the server closed it).
bool is_broken(soci::session& session, Backend backend);

// Prepares `statement` (its into/use elements already exchanged) to run `sql` once: on PostgreSQL one round
// trip (PQexecParams) instead of PQprepare + PQexecPrepared + DEALLOCATE. Then execute() and fetch().
void prepare_once(soci::statement& statement, const std::string& sql);

// An SQL identifier Calyx will accept: [a-z_][a-z0-9_]*, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1).
bool is_valid_identifier(std::string_view name);

// `"name"` for a valid identifier; an invalid one is an error, never spliced into SQL.
Result<std::string> quote_identifier(std::string_view name);

}  // namespace calyx::db::dialect

namespace calyx::db::dialect {

// Rewrites `?` placeholders (outside quotes, comments and dollar-quoted bodies) to SOCI's named ones,
// `:p1`, `:p2`, …; `count` receives how many there were.
std::string positional_to_named(std::string_view sql, std::size_t& count);

// The same, to PostgreSQL's numbered placeholders `$1`, `$2`, … (for statements sent through libpq).
std::string positional_to_numbered(std::string_view sql, std::size_t& count);

// A statement's first two keywords, lower case, past blanks, comments and opening parentheses:
// {"set", "local"} for "SET LOCAL …", {"select", ""} for "(SELECT 1)".
struct Keywords {
  std::string first, second;
};
Keywords leading_keywords(std::string_view sql);

}  // namespace calyx::db::dialect
