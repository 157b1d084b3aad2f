// A module call's statements on PostgreSQL, sent through libpq (not SOCI) so that the call's scope — the
// tenant's schema, role and row tenant, set transaction-locally with set_config(…, true) — travels in the same
// round trip as the statement (pipeline mode).
//
// Until a call first writes, each of its statements runs on its own in one round trip: scope + statement in
// the implicit transaction that ends at the pipeline's Sync, with transaction_read_only on, so the scope cannot
// outlive the statement and a statement that would write is refused by the server (SQLSTATE 25006) before it
// changes anything. Under READ COMMITTED, the isolation every call runs at, this is what the same read would
// see inside a transaction: each statement takes its own snapshot. A refused statement, a statement that is
// not a plain query, and a savepoint open the call's transaction (BEGIN + scope + statement, again one round
// trip); from then on every statement runs in it, and the call commits or rolls back as before. Statements that
// would end the transaction or change the pooled connection's session are refused before they get here
// (DatabaseCallServices); one that ends the transaction anyway (through a function) is caught after it.
// The scope statement is prepared once per connection; so is a read that runs alone the second time it runs
// on a connection in the same scope (up to the pool's `prepared_statements` per connection, least recently used
// out first), so PostgreSQL keeps its plan.
// Thread-safety: one instance per call, on that call's thread.
#pragma once

#include <calyx/db/dialect.hpp>
#include <calyx/modules/call.hpp>
#include <calyx/result.hpp>

#include <libpq-fe.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::modules::pg {

// What a call's statements are confined to. Empty members are left as the connection has them.
struct Scope {
  std::string search_path;  // a quoted schema name, e.g. "\"tenant_acme\""
  std::string role;         // a role name, unquoted
  std::string row_tenant;   // calyx.tenant_id for shared tables, e.g. "42"
};

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

class CallStatements {
 public:
  // `prepared_limit`: how many reads that run alone the connection keeps prepared (0: none).
  CallStatements(PGconn* conn, Scope scope, std::size_t prepared_limit)
      : conn_(conn), scope_(std::move(scope)), prepared_limit_(prepared_limit) {}

  // Runs `sql` (with `?` placeholders, beginning with `keywords`) with `params`; the result holds its rows (or
  // the affected count). The caller has refused what a module may not run (DatabaseCallServices).
  Result<ResultPtr> run(std::string_view sql, std::span<const calyx_value> params,
                        const db::dialect::Keywords& keywords);
  // Opens the call's transaction if it is not open yet (a savepoint needs one).
  Status begin();
  // Runs a statement without parameters inside the open transaction (savepoints).
  Status command(const std::string& sql);
  // Ends the transaction, if one was opened: COMMIT when `commit`, otherwise ROLLBACK.
  Status finish(bool commit);

  bool in_transaction() const { return transaction_; }
  // The connection failed in a way that makes it unfit for reuse.
  bool broken() const { return unusable_ || PQstatus(conn_) != CONNECTION_OK; }

 private:
  enum class Mode { read_alone, open_transaction };
  // One pipeline: [BEGIN,] scope, [statement,] Sync (the statement before the scope when `statement_first`);
  // the statement's result. A statement refused because the read-only transaction forbids it sets
  // *refused_as_write.
  Result<ResultPtr> scoped(Mode mode, const std::string& sql, std::span<const calyx_value> params,
                           bool statement_first, bool* refused_as_write, bool may_retry = true);

  PGconn* conn_;
  Scope scope_;
  std::size_t prepared_limit_;
  bool transaction_ = false;
  bool unusable_ = false;  // a pipeline failed half-way: the connection must not be reused
};

// The rows of one statement's result, for the module's cursor. Values follow the column types: integers and
// booleans as INT, floating and numeric as REAL, timestamps and dates as "YYYY-MM-DD HH:MM:SS" text, the rest
// as text.
class ResultCursor : public RowCursor {
 public:
  explicit ResultCursor(ResultPtr result);
  int next() override;
  std::size_t column_count() const override;
  std::string_view column_name(std::size_t column) const override;
  void value(std::size_t column, calyx_value* out) override;
  const std::string& error() const override { return error_; }

 private:
  ResultPtr result_;
  int rows_ = 0;
  int row_ = -1;
  std::vector<std::string> texts_;  // converted values of the current row, by column
  std::string error_;
};

}  // namespace calyx::modules::pg
