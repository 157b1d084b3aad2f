// A module call's statements on PostgreSQL through libpq's pipeline mode: scope and statement in one round trip.
#include "modules/pg_statements.hpp"

#include <calyx/db/dialect.hpp>

#include <fmt/format.h>
#include <libpq-events.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <list>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace calyx::modules::pg {
namespace {

constexpr std::string_view kReadOnlyTransaction = "25006";  // "cannot execute … in a read-only transaction"

// The statement's parameters in libpq's form: text, except blobs, which go as bytes (binary format).
struct Parameters {
  std::vector<std::string> storage;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  explicit Parameters(std::span<const calyx_value> params) {
    storage.reserve(params.size());  // values point into it: it must not reallocate
    for (const calyx_value& v : params) {
      int format = 0;
      bool null = false;
      switch (v.type) {
        case CALYX_VALUE_INT: storage.push_back(std::to_string(v.as.i)); break;
        case CALYX_VALUE_REAL: storage.push_back(fmt::format("{}", v.as.r)); break;
        case CALYX_VALUE_BLOB: format = 1; [[fallthrough]];
        case CALYX_VALUE_TEXT: storage.emplace_back(v.as.s.data ? std::string(v.as.s.data, v.as.s.len) : std::string()); break;
        default: null = true; storage.emplace_back(); break;
      }
      values.push_back(null ? nullptr : storage.back().c_str());
      lengths.push_back(static_cast<int>(storage.back().size()));
      formats.push_back(format);
    }
  }
  int count() const { return static_cast<int>(values.size()); }
};

// The call's scope as one statement, prepared once per connection and reused: set_config(…, true) is SET
// LOCAL, for the transaction the pipeline runs in; a NULL value leaves that setting alone. (It is bound before
// any search_path changes, so its cached plan stays valid whatever tenant the connection served last.)
constexpr const char* kScopeStatement = "calyx_scope";
constexpr const char* kScopeSql =
    "SELECT CASE WHEN $1::text IS NULL THEN NULL ELSE set_config('search_path', $1, true) END, "
    "CASE WHEN $2::text IS NULL THEN NULL ELSE set_config('role', $2, true) END, "
    "CASE WHEN $3::text IS NULL THEN NULL ELSE set_config('calyx.tenant_id', $3, true) END, "
    "CASE WHEN $4::text IS NULL THEN NULL ELSE set_config('transaction_read_only', $4, true) END";

// The module statements prepared on one connection, for reads that run alone: by scope and text, at most
// `limit` (the pool's prepared_statements), the least recently used retired first. A prepared statement keeps
// its plan while the connection serves the same scope again (PostgreSQL re-plans a statement run under another
// search_path, so the scope is part of the key). A statement is prepared the second time it runs within the
// last `limit` lone reads: texts that run once (values written into the SQL) never enter the cache, and when a
// connection's working set outgrows the cache, reads run unprepared as if there were none.
class PreparedStatements {
 public:
  // Whether `key` ran recently (and now it did).
  bool seen_before(const std::string& key, std::size_t limit) {
    std::size_t hash = std::hash<std::string>{}(key);
    if (seen_.contains(hash)) return true;
    if (recent_.size() < limit) {
      recent_.push_back(hash);
    } else {
      seen_.erase(recent_[oldest_]);
      recent_[oldest_] = hash;
      oldest_ = (oldest_ + 1) % recent_.size();
    }
    seen_.insert(hash);
    return false;
  }
  // The name `key` is prepared under (and now the most recently used), or null.
  const std::string* find(const std::string& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  // A fresh name for a statement about to be prepared; if the cache is full, its least recently used
  // statement is retired now, so the connection never holds more than the bound.
  std::string reserve(std::size_t limit) {
    while (!order_.empty() && order_.size() >= limit) forget(order_.back().first, true);
    return fmt::format("calyx_m{}", ++named_);
  }
  // `name` is prepared for `key`.
  void add(const std::string& key, std::string name) {
    order_.emplace_front(key, std::move(name));
    by_key_[key] = order_.begin();
  }
  // Stops using `key`'s statement; when `deallocate`, its name waits to be deallocated on the server.
  void forget(const std::string& key, bool deallocate) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    if (deallocate) retired_.push_back(std::move(it->second->second));
    order_.erase(it->second);
    by_key_.erase(it);
  }
  std::vector<std::string> take_retired() { return std::exchange(retired_, {}); }
  // The session is new (a reset): nothing is prepared on the server any more.
  void clear() {
    order_.clear();
    by_key_.clear();
    retired_.clear();
  }

 private:
  std::list<std::pair<std::string, std::string>> order_;  // (key, name), most recently used first
  std::unordered_map<std::string, std::list<std::pair<std::string, std::string>>::iterator> by_key_;
  std::vector<std::string> retired_;
  unsigned long long named_ = 0;
  std::unordered_set<std::size_t> seen_;  // hashes of the keys in recent_
  std::vector<std::size_t> recent_;        // the last keys that ran, a ring; oldest_ is next to go
  std::size_t oldest_ = 0;
};

// What Calyx keeps per libpq connection, as the connection's instance data (freed with it).
struct ConnectionState {
  bool scope_prepared = false;
  PreparedStatements statements;
};

int on_connection_event(PGEventId event, void* info, void*) {
  if (event == PGEVT_CONNDESTROY) {
    PGconn* conn = static_cast<PGEventConnDestroy*>(info)->conn;
    delete static_cast<ConnectionState*>(PQinstanceData(conn, on_connection_event));
  } else if (event == PGEVT_CONNRESET) {
    PGconn* conn = static_cast<PGEventConnReset*>(info)->conn;
    if (auto* state = static_cast<ConnectionState*>(PQinstanceData(conn, on_connection_event))) {
      state->scope_prepared = false;
      state->statements.clear();
    }
  }
  return 1;
}

// The connection's state, registered on first use; null if libpq refuses (then nothing is prepared).
ConnectionState* connection_state(PGconn* conn) {
  if (auto* state = static_cast<ConnectionState*>(PQinstanceData(conn, on_connection_event))) return state;
  if (PQregisterEventProc(conn, on_connection_event, "calyx", nullptr) != 1) return nullptr;
  auto state = std::make_unique<ConnectionState>();
  if (PQsetInstanceData(conn, on_connection_event, state.get()) != 1) return nullptr;
  return state.release();
}

std::string_view sqlstate(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state ? std::string_view(state) : std::string_view();
}

// The server's message, classified by SQLSTATE: integrity violations are conflicts, lost connections
// unavailability, the rest failures.
Error failure(PGconn* conn, const PGresult* result) {
  // The server's primary message and its detail ("Key (slug)=(x) already exists."), not the statement echo.
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const char* detail = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL) : nullptr;
  std::string message = primary ? primary : PQerrorMessage(conn);
  if (primary && detail) message += fmt::format(" ({})", detail);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string_view state = sqlstate(result);
  if (state.starts_with("23")) return Error::conflict(message);
  if (!result || state.starts_with("08") || state.starts_with("57P") || PQstatus(conn) != CONNECTION_OK) {
    return Error::unavailable(message.empty() ? "the database connection was lost" : message);
  }
  return Error::failed(message);
}

bool succeeded(const PGresult* result) {
  auto status = PQresultStatus(result);
  return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY;
}

// A statement that may run on its own, read-only: a plain query. Anything else (SET, LOCK, writes, DDL) runs
// inside the call's transaction, where its effect lasts as long as the call.
bool is_plain_query(std::string_view word) {
  return word == "select" || word == "with" || word == "values" || word == "table";
}

}  // namespace

Result<ResultPtr> CallStatements::run(std::string_view sql, std::span<const calyx_value> params,
                                      const db::dialect::Keywords& keywords) {
  std::size_t placeholders = 0;
  std::string numbered = db::dialect::positional_to_numbered(sql, placeholders);
  if (placeholders != params.size()) {
    return Error::invalid_argument(
        fmt::format("the statement has {} '?' placeholder(s) but {} parameter(s) were given", placeholders, params.size()));
  }
  const std::string& word = keywords.first;
  if (!transaction_ && is_plain_query(word)) {
    bool writes = false;
    auto alone = scoped(Mode::read_alone, numbered, params, false, &writes);
    if (!writes) return alone;
    // It writes after all (a data-modifying WITH, FOR UPDATE, a volatile function): nothing happened; run it in
    // the call's transaction.
  }
  // SET TRANSACTION (an isolation level, say) must precede every query of the transaction, the scope's included.
  if (!transaction_) return scoped(Mode::open_transaction, numbered, params, word == "set" && keywords.second == "transaction", nullptr);

  Parameters p(params);
  ResultPtr result(PQexecParams(conn_, numbered.c_str(), p.count(), nullptr, p.values.data(), p.lengths.data(),
                                p.formats.data(), 0),
                   &PQclear);
  if (!result || !succeeded(result.get())) return failure(conn_, result.get());
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) {
    // The statement ended the call's transaction (COMMIT, ROLLBACK): what follows would run unconfined.
    transaction_ = false;
    return Error::invalid_argument(
        "a module statement ended the call's transaction; use the host's begin/commit/rollback (savepoints) instead");
  }
  return result;
}

Status CallStatements::begin() {
  if (transaction_) return Ok{};
  auto opened = scoped(Mode::open_transaction, {}, {}, false, nullptr);
  if (!opened) return opened.error();
  return Ok{};
}

Status CallStatements::command(const std::string& sql) {
  ResultPtr result(PQexec(conn_, sql.c_str()), &PQclear);
  if (!result || !succeeded(result.get())) return failure(conn_, result.get());
  return Ok{};
}

Status CallStatements::finish(bool commit) {
  if (!transaction_) return Ok{};
  transaction_ = false;
  Status outcome = command(commit ? "COMMIT" : "ROLLBACK");
  if (!outcome && PQtransactionStatus(conn_) != PQTRANS_IDLE) (void)command("ROLLBACK");
  return outcome;
}

Result<ResultPtr> CallStatements::scoped(Mode mode, const std::string& sql, std::span<const calyx_value> params,
                                         bool statement_first, bool* refused_as_write, bool may_retry) {
  // The scope statement's values; NULL leaves that setting alone.
  auto value = [](const std::string& v) { return v.empty() ? nullptr : v.c_str(); };
  const char* scope_values[4] = {value(scope_.search_path), value(scope_.role), value(scope_.row_tenant),
                                 mode == Mode::read_alone ? "on" : nullptr};
  bool scoping = std::any_of(std::begin(scope_values), std::end(scope_values), [](const char* v) { return v != nullptr; });
  ConnectionState* state = scoping ? connection_state(conn_) : nullptr;
  bool prepare_scope = state && !state->scope_prepared;

  // A read that runs alone runs as a statement prepared on this connection for this scope (its plan is kept);
  // statements retired from that cache are deallocated first, in a segment of their own, outside any
  // transaction, so that nothing that becomes of them touches the call.
  std::string key, name;
  bool prepare_statement = false;
  std::vector<std::string> retired;
  if (state && mode == Mode::read_alone && !sql.empty() && prepared_limit_ > 0) {
    key = scope_.search_path + '\0' + scope_.role + '\0' + sql;
    if (const std::string* known = state->statements.find(key)) {
      name = *known;
    } else if (state->statements.seen_before(key, prepared_limit_)) {
      name = state->statements.reserve(prepared_limit_);
      prepare_statement = true;
    }
    retired = state->statements.take_retired();
  }

  if (PQenterPipelineMode(conn_) != 1) {
    unusable_ = true;
    return failure(conn_, nullptr);
  }
  int sent = 0;
  bool ok = true;
  auto sent_one = [&](int accepted) {
    ok = ok && accepted == 1;
    if (ok) ++sent;
  };
  for (const std::string& old : retired) {
    sent_one(PQsendQueryParams(conn_, ("DEALLOCATE " + old).c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
  }
  if (!retired.empty()) ok = ok && PQpipelineSync(conn_) == 1;
  int first_of_call = sent;
  Parameters p(params);
  int statement_index = -1;
  int statement_prepare_index = -1;
  auto send_statement = [&] {
    if (sql.empty()) return;
    if (prepare_statement) {
      statement_prepare_index = sent;
      sent_one(PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
    }
    statement_index = sent;
    if (!name.empty()) {
      sent_one(PQsendQueryPrepared(conn_, name.c_str(), p.count(), p.values.data(), p.lengths.data(),
                                   p.formats.data(), 0));
    } else {
      sent_one(PQsendQueryParams(conn_, sql.c_str(), p.count(), nullptr, p.values.data(), p.lengths.data(),
                                 p.formats.data(), 0));
    }
  };
  if (mode == Mode::open_transaction) sent_one(PQsendQueryParams(conn_, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0));
  if (statement_first) send_statement();
  int scope_prepare_index = prepare_scope ? sent : -1;
  if (prepare_scope) sent_one(PQsendPrepare(conn_, kScopeStatement, kScopeSql, 4, nullptr));
  int scope_index = scoping ? sent : -1;
  if (state) {
    sent_one(PQsendQueryPrepared(conn_, kScopeStatement, 4, scope_values, nullptr, nullptr, 0));
  } else if (scoping) {
    sent_one(PQsendQueryParams(conn_, kScopeSql, 4, nullptr, scope_values, nullptr, nullptr, 0));
  }
  if (!statement_first) send_statement();
  ok = ok && PQpipelineSync(conn_) == 1;
  if (!ok) {
    unusable_ = true;  // part of the pipeline may be on its way: the connection's state is unknown
    Error error = failure(conn_, nullptr);
    (void)PQexitPipelineMode(conn_);
    return error;
  }

  // One result per statement, each followed by a null; a Sync's result after each segment.
  std::vector<ResultPtr> results;
  auto read_sync = [&] {
    ResultPtr sync(PQgetResult(conn_), &PQclear);
    if (sync && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC) return true;
    unusable_ = true;
    return false;
  };
  for (int i = 0; i < sent; ++i) {
    if (i == first_of_call && i > 0 && !read_sync()) return failure(conn_, nullptr);
    results.emplace_back(PQgetResult(conn_), &PQclear);
    if (!results.back()) {  // the connection is gone
      unusable_ = true;
      return failure(conn_, nullptr);
    }
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }
  if (!read_sync() || PQexitPipelineMode(conn_) != 1) {
    unusable_ = true;
    return failure(conn_, nullptr);
  }
  if (mode == Mode::open_transaction && PQresultStatus(results[first_of_call].get()) == PGRES_COMMAND_OK) transaction_ = true;
  if (prepare_scope && PQresultStatus(results[scope_prepare_index].get()) == PGRES_COMMAND_OK) state->scope_prepared = true;
  if (prepare_statement && PQresultStatus(results[statement_prepare_index].get()) == PGRES_COMMAND_OK) {
    state->statements.add(key, name);
  }
  // The first failure explains the rest (statements after it in the pipeline were skipped). The retired
  // statements' results do not concern the call.
  for (int i = first_of_call; i < sent; ++i) {
    const PGresult* result = results[i].get();
    if (succeeded(result)) continue;
    std::string_view code = sqlstate(result);
    // A prepared statement is gone (DEALLOCATE is refused to modules, but the session may have been reset) or
    // its plan no longer fits the table (a migration changed the columns of a `SELECT *`): prepare it again.
    // A read that runs alone changed nothing, so it runs again.
    bool stale = false;
    if (state && i == scope_index && code == "26000") {
      // Someone deallocated everything (the session was reset or discarded): the statements are gone too.
      state->scope_prepared = false;
      state->statements.clear();
      stale = true;
    } else if (i == statement_index && !prepare_statement && !name.empty() && (code == "26000" || code == "0A000")) {
      state->statements.forget(key, code == "0A000");
      stale = true;
    }
    if (stale && may_retry && mode == Mode::read_alone) {
      return scoped(mode, sql, params, statement_first, refused_as_write, false);
    }
    if (refused_as_write) *refused_as_write = code == kReadOnlyTransaction;
    return failure(conn_, result);
  }
  if (statement_index < 0) return ResultPtr(nullptr, &PQclear);
  return std::move(results[statement_index]);
}

ResultCursor::ResultCursor(ResultPtr result) : result_(std::move(result)) {
  rows_ = result_ && PQresultStatus(result_.get()) == PGRES_TUPLES_OK ? PQntuples(result_.get()) : 0;
  texts_.resize(column_count());
}

int ResultCursor::next() {
  if (row_ + 1 >= rows_) {
    row_ = rows_;
    return 0;
  }
  ++row_;
  return 1;
}

std::size_t ResultCursor::column_count() const {
  return result_ && PQresultStatus(result_.get()) == PGRES_TUPLES_OK ? static_cast<std::size_t>(PQnfields(result_.get())) : 0;
}

std::string_view ResultCursor::column_name(std::size_t column) const {
  if (column >= column_count()) return {};
  return PQfname(result_.get(), static_cast<int>(column));
}

void ResultCursor::value(std::size_t column, calyx_value* out) {
  *out = calyx_value{};
  if (row_ < 0 || row_ >= rows_ || column >= column_count()) return;
  int c = static_cast<int>(column);
  if (PQgetisnull(result_.get(), row_, c)) return;
  const char* text = PQgetvalue(result_.get(), row_, c);
  std::size_t length = static_cast<std::size_t>(PQgetlength(result_.get(), row_, c));
  switch (PQftype(result_.get(), c)) {
    case 16:  // bool
      out->type = CALYX_VALUE_INT;
      out->as.i = text[0] == 't' ? 1 : 0;
      return;
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
    case 26:  // oid
      out->type = CALYX_VALUE_INT;
      out->as.i = std::strtoll(text, nullptr, 10);
      return;
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      out->type = CALYX_VALUE_REAL;
      out->as.r = std::strtod(text, nullptr);
      return;
    case 1082:  // date: midnight, as SQLite's datetime() would write it
      texts_[column] = std::string(text, length) + " 00:00:00";
      break;
    case 1114:  // timestamp
    case 1184:  // timestamptz: "YYYY-MM-DD HH:MM:SS", without fractions or zone
      texts_[column] = std::string(text, std::min<std::size_t>(length, 19));
      break;
    default:
      out->type = CALYX_VALUE_TEXT;
      out->as.s = calyx_str{text, length};
      return;
  }
  out->type = CALYX_VALUE_TEXT;
  out->as.s = calyx_str{texts_[column].data(), texts_[column].size()};
}

}  // namespace calyx::modules::pg
