// Module database access over SOCI with positional parameters, dynamic result rows, per-call transactions.
#include <calyx/modules/database_services.hpp>

#include <calyx/db/dialect.hpp>
#include <calyx/modules/hooks.hpp>

#include <calyx/db/module_guard.hpp>

#include "db/native.hpp"
#include "modules/pg_statements.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <deque>

namespace calyx::modules {
namespace {

// SOCI 4.0's backends classify few errors, so constraint violations are also recognised by the databases'
// own wording (SQLite: "constraint failed"; PostgreSQL: "violates ... constraint").
Error sql_error(const soci::soci_error& e) {
  std::string message = e.get_error_message();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  bool constraint = e.get_error_category() == soci::soci_error::constraint_violation ||
                    message.find("constraint failed") != std::string::npos ||
                    (message.find("violates") != std::string::npos && message.find("constraint") != std::string::npos);
  if (constraint) return Error::conflict(message);
  if (e.get_error_category() == soci::soci_error::connection_error) return Error::unavailable(message);
  return Error::failed(message);
}

// Values bound to one statement; deques keep every element's address stable for SOCI.
struct Bindings {
  std::deque<long long> integers;
  std::deque<double> reals;
  std::deque<std::string> texts;
  std::deque<soci::indicator> indicators;

  void bind(soci::statement& statement, std::span<const calyx_value> params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::string name = "p" + std::to_string(i + 1);
      const calyx_value& v = params[i];
      soci::indicator& indicator = indicators.emplace_back(soci::i_ok);
      switch (v.type) {
        case CALYX_VALUE_INT: statement.exchange(soci::use(integers.emplace_back(v.as.i), indicator, name)); break;
        case CALYX_VALUE_REAL: statement.exchange(soci::use(reals.emplace_back(v.as.r), indicator, name)); break;
        case CALYX_VALUE_TEXT:
        case CALYX_VALUE_BLOB:
          statement.exchange(soci::use(
              texts.emplace_back(v.as.s.data ? std::string(v.as.s.data, v.as.s.len) : std::string()), indicator, name));
          break;
        default:
          indicator = soci::i_null;
          statement.exchange(soci::use(texts.emplace_back(), indicator, name));
      }
    }
  }
};

// Prepares `sql` (with `?` placeholders) and binds `params`; refuses a parameter count mismatch.
Status prepare(soci::statement& statement, Bindings& bindings, std::string_view sql, std::span<const calyx_value> params) {
  std::size_t placeholders = 0;
  std::string translated = db::dialect::positional_to_named(sql, placeholders);
  if (placeholders != params.size()) {
    return Error::invalid_argument(
        fmt::format("the statement has {} '?' placeholder(s) but {} parameter(s) were given", placeholders, params.size()));
  }
  bindings.bind(statement, params);
  statement.alloc();
  // One-time: PostgreSQL runs it with PQexecParams in one round trip instead of PQprepare + PQexecPrepared.
  statement.prepare(translated, soci::details::st_one_time_query);
  return Ok{};
}

class SociRowCursor : public RowCursor {
 public:
  explicit SociRowCursor(soci::session& session) : statement_(session) {}

  Status open(std::string_view sql, std::span<const calyx_value> params) {
    statement_.exchange(soci::into(row_));
    if (auto ok = prepare(statement_, bindings_, sql, params); !ok) return ok;
    statement_.define_and_bind();
    statement_.execute(false);
    return Ok{};
  }

  int next() override {
    try {
      if (!statement_.fetch()) return 0;
      texts_.assign(row_.size(), std::string());
      if (names_.empty()) {
        for (std::size_t i = 0; i < row_.size(); ++i) names_.push_back(row_.get_properties(i).get_name());
      }
      return 1;
    } catch (const soci::soci_error& e) {
      error_ = sql_error(e).message();
      return -1;
    }
  }
  std::size_t column_count() const override { return row_.size(); }
  std::string_view column_name(std::size_t column) const override {
    return column < names_.size() ? std::string_view(names_[column]) : std::string_view();
  }
  void value(std::size_t column, calyx_value* out) override {
    *out = calyx_value{};
    if (column >= row_.size() || row_.get_indicator(column) == soci::i_null) return;
    switch (row_.get_properties(column).get_data_type()) {
      case soci::dt_integer: out->type = CALYX_VALUE_INT; out->as.i = row_.get<int>(column); return;
      case soci::dt_long_long: out->type = CALYX_VALUE_INT; out->as.i = row_.get<long long>(column); return;
      case soci::dt_unsigned_long_long:
        out->type = CALYX_VALUE_INT;
        out->as.i = static_cast<std::int64_t>(row_.get<unsigned long long>(column));
        return;
      case soci::dt_double: out->type = CALYX_VALUE_REAL; out->as.r = row_.get<double>(column); return;
      case soci::dt_date: {
        std::tm time = row_.get<std::tm>(column);
        char buffer[32];
        std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &time);
        texts_[column] = buffer;
        break;
      }
      default: texts_[column] = row_.get<std::string>(column); break;
    }
    out->type = CALYX_VALUE_TEXT;
    out->as.s = calyx_str{texts_[column].data(), texts_[column].size()};
  }
  const std::string& error() const override { return error_; }

 private:
  soci::statement statement_;
  soci::row row_;
  Bindings bindings_;
  std::vector<std::string> texts_;  // text of the current row's columns, valid until next()
  std::vector<std::string> names_;  // column names (SOCI returns them by value)
  std::string error_;
};

// Statements that would end or split the call's transaction (after which a module's statements would run
// outside the scope the host set for them) or change the pooled connection's session for later calls (SET
// ROLE or RESET ROLE would undo the tenant's confinement for whoever comes next): refused before they run, on
// both databases. SET LOCAL, SET TRANSACTION and SET CONSTRAINTS last as long as the call and are allowed.
Status check_module_statement(const db::dialect::Keywords& keywords) {
  const std::string& word = keywords.first;
  if (word == "reset" || (word == "set" && keywords.second != "local" && keywords.second != "transaction" &&
                          keywords.second != "constraints")) {
    return Error::invalid_argument(fmt::format(
        "a module may not change its connection's session with '{}': use SET LOCAL, which lasts as long as the call",
        word == "set" ? "SET" : "RESET"));
  }
  static constexpr std::string_view kHostOwned[] = {"begin",   "start",   "commit",     "end",     "rollback", "abort",
                                                    "savepoint", "release", "prepare", "deallocate", "discard"};
  if (std::find(std::begin(kHostOwned), std::end(kHostOwned), word) != std::end(kHostOwned)) {
    return Error::invalid_argument(fmt::format(
        "a module may not run '{}': the host owns the call's transaction and connection (use the SDK's Transaction "
        "for savepoints)",
        word));
  }
  return Ok{};
}

// Non-GET HTTP calls and every non-HTTP call may write: on SQLite they take the write lock up front.
bool may_write(const calyx_call& call) {
  return call.kind != CallKind::http || (call.request.method != "GET" && call.request.method != "HEAD");
}

}  // namespace

DatabaseCallServices::DatabaseCallServices(DataScope scope, db::ConnectionPool& host_pool, const ModuleRegistry* registry,
                                           std::set<std::string, std::less<>> active_modules)
    : scope_(std::move(scope)), host_pool_(host_pool), registry_(registry), active_(std::move(active_modules)) {}

DatabaseCallServices::~DatabaseCallServices() { (void)finish(false); }

Result<db::Lease*> DatabaseCallServices::connection(const calyx_call& call) {
  if (lease_) return &*lease_;
  if (!scope_.pool) return Error::unavailable("this call has no tenant database (no tenant is in scope)");
  auto lease = scope_.pool->acquire();
  if (!lease) return lease.error();
  lease_.emplace(std::move(lease.value()));
  auto opened = open_call(call);
  if (!opened) {
    lease_->discard();
    lease_.reset();
    return opened.error();
  }
  return &*lease_;
}

// Confines the call. On PostgreSQL: the tenant's schema, role and row scope, which pg::CallStatements sets
// transaction-locally in the round trip of each statement (they vanish when its transaction ends, before the
// connection is reused). On SQLite: the call's transaction, the connection's tenant function and the module
// authorizer (lifted again in finish()).
Status DatabaseCallServices::open_call(const calyx_call& call) {
  db::Backend backend = lease_->backend();
  if (backend == db::Backend::postgresql) {
    pg::Scope scope;
    if (!scope_.schema.empty()) {
      auto quoted = db::dialect::quote_identifier(scope_.schema);
      if (!quoted) return quoted.error();
      scope.search_path = *quoted;
    }
    if (!scope_.role.empty()) {
      if (auto valid = db::dialect::quote_identifier(scope_.role); !valid) return valid.error();
      scope.role = scope_.role;  // set_config takes the name itself, unquoted
    }
    if (scope_.row_tenant != 0) scope.row_tenant = std::to_string(scope_.row_tenant);
    PGconn* conn = db::native_postgresql(lease_->session());
    if (!conn) return Error::internal("not an open PostgreSQL session");
    postgresql_ = std::make_unique<pg::CallStatements>(conn, std::move(scope), scope_.pool->options().prepared_statements);
    return Ok{};
  }
  if (!scope_.schema.empty() || !scope_.role.empty()) return Error::invalid_argument("schemas and roles need PostgreSQL");
  try {
    lease_->session() << std::string(may_write(call) ? db::dialect::begin_write_sql(backend) : "BEGIN");
  } catch (const soci::soci_error& e) {
    return sql_error(e);
  }
  return db::guard_sqlite_module_call(lease_->session(), scope_.row_tenant, &trigger_changes_, &statement_state_);
}

Status DatabaseCallServices::finish(bool success) {
  if (!lease_) return Ok{};
  Status outcome = Ok{};
  if (postgresql_) {
    outcome = postgresql_->finish(success);
    if (postgresql_->broken()) lease_->discard();
    postgresql_.reset();
  } else {
    db::release_sqlite_module_call(lease_->session());  // the authorizer refuses COMMIT and ROLLBACK
    try {
      lease_->session() << (success ? "COMMIT" : "ROLLBACK");
    } catch (const soci::soci_error& e) {
      outcome = sql_error(e);
      try {
        lease_->session() << "ROLLBACK";
      } catch (const soci::soci_error&) {
        lease_->discard();
      }
    }
  }
  lease_.reset();
  savepoints_ = 0;
  return outcome;
}

Result<std::int64_t> DatabaseCallServices::db_execute(calyx_call& call, std::string_view sql,
                                                      std::span<const calyx_value> params) {
  auto keywords = db::dialect::leading_keywords(sql);
  if (auto allowed = check_module_statement(keywords); !allowed) return allowed.error();
  auto lease = connection(call);
  if (!lease) return lease.error();
  if (postgresql_) {
    auto result = postgresql_->run(sql, params, keywords);
    if (!result) return result.error();
    const char* affected = *result ? PQcmdTuples(result->get()) : "";
    return std::int64_t{std::strtoll(affected, nullptr, 10)};
  }
  statement_state_ = {};
  try {
    soci::statement statement((*lease)->session());
    Bindings bindings;
    if (auto ok = prepare(statement, bindings, sql, params); !ok) return ok.error();
    statement.define_and_bind();
    // On SQLite, rows written through the shared-mode views are counted by their triggers.
    trigger_changes_ = 0;
    statement.execute(true);
    return static_cast<std::int64_t>(statement.get_affected_rows()) + trigger_changes_;
  } catch (const soci::soci_error& e) {
    return sql_error(e);
  }
}

Result<std::unique_ptr<RowCursor>> DatabaseCallServices::db_query(calyx_call& call, std::string_view sql,
                                                                  std::span<const calyx_value> params) {
  auto keywords = db::dialect::leading_keywords(sql);
  if (auto allowed = check_module_statement(keywords); !allowed) return allowed.error();
  auto lease = connection(call);
  if (!lease) return lease.error();
  if (postgresql_) {
    auto result = postgresql_->run(sql, params, keywords);
    if (!result) return result.error();
    return std::unique_ptr<RowCursor>(std::make_unique<pg::ResultCursor>(std::move(*result)));
  }
  statement_state_ = {};
  try {
    auto cursor = std::make_unique<SociRowCursor>((*lease)->session());
    if (auto ok = cursor->open(sql, params); !ok) return ok.error();
    return std::unique_ptr<RowCursor>(std::move(cursor));
  } catch (const soci::soci_error& e) {
    return sql_error(e);
  }
}

// A module's own begin/commit/rollback nest as savepoints inside the call's transaction.
Status DatabaseCallServices::savepoint_command(calyx_call& call, const std::string& sql) {
  auto lease = connection(call);
  if (!lease) return lease.error();
  if (postgresql_) {
    if (auto opened = postgresql_->begin(); !opened) return opened;
    return postgresql_->command(sql);
  }
  try {
    (*lease)->session() << sql;
    return Ok{};
  } catch (const soci::soci_error& e) {
    return sql_error(e);
  }
}

Status DatabaseCallServices::db_begin(calyx_call& call) {
  auto begun = savepoint_command(call, fmt::format("SAVEPOINT calyx_sp_{}", savepoints_ + 1));
  if (begun) ++savepoints_;
  return begun;
}

Status DatabaseCallServices::db_commit(calyx_call& call) {
  if (savepoints_ == 0) return Error::invalid_argument("commit without a matching begin");
  return savepoint_command(call, fmt::format("RELEASE SAVEPOINT calyx_sp_{}", savepoints_--));
}

Status DatabaseCallServices::db_rollback(calyx_call& call) {
  if (savepoints_ == 0) return Error::invalid_argument("rollback without a matching begin");
  if (auto rolled = savepoint_command(call, fmt::format("ROLLBACK TO SAVEPOINT calyx_sp_{}", savepoints_)); !rolled) {
    return rolled;
  }
  return savepoint_command(call, fmt::format("RELEASE SAVEPOINT calyx_sp_{}", savepoints_--));
}

// A connection for the host's own reads and writes during the call. When the call's data lives in the host
// database, the call may hold one of the pool's connections already: the second one must not wait for calls
// that may be waiting the same way.
Result<db::Lease> DatabaseCallServices::host_lease() {
  return lease_ && scope_.pool == &host_pool_ ? host_pool_.acquire_beside() : host_pool_.acquire();
}

Result<std::string> DatabaseCallServices::settings_get(calyx_call& call) {
  if (!call.module) return Error::internal("settings asked outside a module call");
  auto lease = host_lease();
  if (!lease) return lease.error();
  try {
    std::string json;
    soci::indicator indicator = soci::i_null;
    long long tenant = call.tenant.id;
    lease->session() << "SELECT settings FROM calyx_module_settings WHERE tenant_id = :t AND module = :m",
        soci::into(json, indicator), soci::use(tenant), soci::use(call.module->code);
    return indicator == soci::i_ok ? json : std::string("{}");
  } catch (const soci::soci_error& e) {
    return sql_error(e);
  }
}

Status DatabaseCallServices::settings_set(calyx_call& call, std::string_view json) {
  if (!call.module) return Error::internal("settings written outside a module call");
  boost::system::error_code ec;
  auto parsed = boost::json::parse(json, ec);
  if (ec || !parsed.is_object()) return Error::invalid_argument("module settings must be a JSON object");
  auto lease = host_lease();
  if (!lease) return lease.error();
  try {
    long long tenant = call.tenant.id;
    std::string text(json);
    lease->session() << "INSERT INTO calyx_module_settings (tenant_id, module, settings) VALUES (:t, :m, :s) "
                        "ON CONFLICT (tenant_id, module) DO UPDATE SET settings = excluded.settings",
        soci::use(tenant), soci::use(call.module->code), soci::use(text);
    return Ok{};
  } catch (const soci::soci_error& e) {
    return sql_error(e);
  }
}

Result<std::string> DatabaseCallServices::run_hook(calyx_call& call, std::string_view point, std::string_view data_json) {
  if (!registry_) return Error::unavailable("hooks are not available in this call");
  boost::system::error_code ec;
  boost::json::parse(data_json, ec);
  if (ec) return Error::invalid_argument("hook data must be JSON: " + ec.message());
  // Handlers run for the same tenant and user, on this call's connection and inside its transaction.
  auto outcome = execute_hooks(*registry_, point, std::string(data_json), active_, [&](calyx_call& inner) {
    inner.tenant = call.tenant;
    inner.user = call.user;
    inner.services = this;
  });
  return outcome.data;
}

}  // namespace calyx::modules
