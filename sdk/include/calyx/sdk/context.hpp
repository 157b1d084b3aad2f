// What a module's callback works with: the Context of one call (tenant, user, request, response, database,
// settings, hooks, templates, logging) as typed C++ wrappers over the host services table, and the
// exceptions a callback throws to fail with a given status.
// Thread-safety: a Context and everything taken from it belong to the callback's thread and end with the call.
#pragma once

#include <calyx/plugin_api.h>
#include <calyx/sdk/abi.hpp>
#include <calyx/sdk/text.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace calyx::sdk {

namespace detail {
// The host's services table, kept by init (one per module library: symbols are hidden).
inline const calyx_host_api* host = nullptr;
inline const calyx_host_api& api() { return *host; }
}  // namespace detail

// Thrown by a callback to fail with a status and a message; the SDK turns it into the ABI status.
class Failure : public std::runtime_error {
 public:
  Failure(calyx_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  calyx_status status() const { return status_; }

 private:
  calyx_status status_;
};

inline Failure not_found(const std::string& message) { return Failure(CALYX_NOT_FOUND, message); }
inline Failure denied(const std::string& message) { return Failure(CALYX_DENIED, message); }
inline Failure invalid(const std::string& message) { return Failure(CALYX_INVALID_ARGUMENT, message); }
inline Failure conflict(const std::string& message) { return Failure(CALYX_CONFLICT, message); }
inline Failure unavailable(const std::string& message) { return Failure(CALYX_UNAVAILABLE, message); }

// An SQL parameter: NULL, integer, real or text, built implicitly from C++ values.
class Param {
 public:
  Param(std::nullptr_t) { value_.type = CALYX_VALUE_NULL; }
  template <typename T>
    requires std::is_integral_v<T>
  Param(T i) {  // every integer type, and bool as 0/1
    value_.type = CALYX_VALUE_INT;
    value_.as.i = static_cast<std::int64_t>(i);
  }
  Param(double r) { value_.type = CALYX_VALUE_REAL; value_.as.r = r; }
  Param(std::string_view s) { value_.type = CALYX_VALUE_TEXT; value_.as.s = to_calyx_str(s); }
  Param(const std::string& s) : Param(std::string_view(s)) {}
  Param(const char* s) : Param(std::string_view(s)) {}
  template <typename T>
  Param(const std::optional<T>& maybe) : Param(nullptr) {
    if (maybe) *this = Param(*maybe);
  }
  const calyx_value& raw() const { return value_; }

 private:
  calyx_value value_{};
};

// One row of a result set: columns by index or by name. Values are valid until the next row.
class Row {
 public:
  explicit Row(calyx_rows* rows) : rows_(rows) {}

  std::size_t size() const { return detail::api().rows_column_count(rows_); }
  std::string_view name(std::size_t column) const { return to_string_view(detail::api().rows_column_name(rows_, column)); }
  bool is_null(std::size_t column) const { return raw(column).type == CALYX_VALUE_NULL; }
  bool is_null(std::string_view column) const { return is_null(index(column)); }

  std::int64_t integer(std::size_t column) const {
    calyx_value v = raw(column);
    if (v.type == CALYX_VALUE_INT) return v.as.i;
    if (v.type == CALYX_VALUE_REAL) return static_cast<std::int64_t>(v.as.r);
    if (v.type == CALYX_VALUE_TEXT) return std::stoll(std::string(to_string_view(v.as.s)));
    return 0;
  }
  double real(std::size_t column) const {
    calyx_value v = raw(column);
    if (v.type == CALYX_VALUE_REAL) return v.as.r;
    if (v.type == CALYX_VALUE_INT) return static_cast<double>(v.as.i);
    if (v.type == CALYX_VALUE_TEXT) return std::stod(std::string(to_string_view(v.as.s)));
    return 0;
  }
  std::string text(std::size_t column) const {
    calyx_value v = raw(column);
    if (v.type == CALYX_VALUE_TEXT || v.type == CALYX_VALUE_BLOB) return std::string(to_string_view(v.as.s));
    if (v.type == CALYX_VALUE_INT) return std::to_string(v.as.i);
    if (v.type == CALYX_VALUE_REAL) return std::to_string(v.as.r);
    return {};
  }
  std::int64_t integer(std::string_view column) const { return integer(index(column)); }
  double real(std::string_view column) const { return real(index(column)); }
  std::string text(std::string_view column) const { return text(index(column)); }
  std::optional<std::string> optional_text(std::string_view column) const {
    std::size_t i = index(column);
    if (is_null(i)) return std::nullopt;
    return text(i);
  }

  std::size_t index(std::string_view column) const {
    for (std::size_t i = 0, n = size(); i < n; ++i) {
      if (name(i) == column) return i;
    }
    throw std::out_of_range("no column '" + std::string(column) + "' in the result");
  }

 private:
  calyx_value raw(std::size_t column) const {
    calyx_value v{};
    detail::api().rows_value(rows_, column, &v);
    return v;
  }
  calyx_rows* rows_;
};

// A result set, read once: `for (const Row& row : db.query(...))`.
class Rows {
 public:
  explicit Rows(calyx_rows* rows) : rows_(rows) {}
  Rows(Rows&& other) noexcept : rows_(std::exchange(other.rows_, nullptr)) {}
  Rows(const Rows&) = delete;
  ~Rows() {
    if (rows_) detail::api().rows_close(rows_);
  }

  class iterator {
   public:
    explicit iterator(calyx_rows* rows) : rows_(rows), row_(rows) { advance(); }
    iterator() : rows_(nullptr), row_(nullptr) {}
    const Row& operator*() const { return row_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(const iterator& other) const { return rows_ != other.rows_; }

   private:
    void advance() {
      int next = detail::api().rows_next(rows_);
      if (next < 0) throw Failure(CALYX_ERROR, "reading the result failed");
      if (next == 0) rows_ = nullptr;
    }
    calyx_rows* rows_;
    Row row_;
  };
  iterator begin() { return iterator(rows_); }
  iterator end() { return iterator(); }

 private:
  calyx_rows* rows_;
};

// The tenant's database as the host scopes it for this module. Parameters bind to `?` in order.
class Db {
 public:
  explicit Db(calyx_call* call) : call_(call) {}

  // Runs a statement; returns the number of rows it changed.
  std::int64_t execute(std::string_view sql, std::initializer_list<Param> params = {}) {
    std::vector<calyx_value> values = raw(params);
    std::int64_t affected = 0;
    check(detail::api().db_execute(call_, to_calyx_str(sql), values.data(), values.size(), &affected));
    return affected;
  }
  Rows query(std::string_view sql, std::initializer_list<Param> params = {}) {
    std::vector<calyx_value> values = raw(params);
    calyx_rows* rows = nullptr;
    check(detail::api().db_query(call_, to_calyx_str(sql), values.data(), values.size(), &rows));
    return Rows(rows);
  }
  // The first column of the first row, or nullopt when there is no row.
  std::optional<std::int64_t> query_integer(std::string_view sql, std::initializer_list<Param> params = {}) {
    for (const Row& row : query(sql, params)) return row.is_null(0) ? std::nullopt : std::optional(row.integer(0));
    return std::nullopt;
  }
  // The same with parameters gathered at run time (e.g. a DataTable's filter).
  std::int64_t execute(std::string_view sql, const std::vector<Param>& params) {
    std::vector<calyx_value> values = raw(params);
    std::int64_t affected = 0;
    check(detail::api().db_execute(call_, to_calyx_str(sql), values.data(), values.size(), &affected));
    return affected;
  }
  Rows query(std::string_view sql, const std::vector<Param>& params) {
    std::vector<calyx_value> values = raw(params);
    calyx_rows* rows = nullptr;
    check(detail::api().db_query(call_, to_calyx_str(sql), values.data(), values.size(), &rows));
    return Rows(rows);
  }
  std::optional<std::int64_t> query_integer(std::string_view sql, const std::vector<Param>& params) {
    for (const Row& row : query(sql, params)) return row.is_null(0) ? std::nullopt : std::optional(row.integer(0));
    return std::nullopt;
  }

  void begin() { check(detail::api().db_begin(call_)); }
  void commit() { check(detail::api().db_commit(call_)); }
  void rollback() { check(detail::api().db_rollback(call_)); }

 private:
  template <typename Params>
  static std::vector<calyx_value> raw(const Params& params) {
    std::vector<calyx_value> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.raw());
    return values;
  }
  // The host has set the message; a Failure carries the status through the barrier.
  static void check(calyx_status status) {
    if (status != CALYX_OK) throw Failure(status, "");
  }
  calyx_call* call_;
};

// A transaction that rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) { db_.begin(); }
  ~Transaction() {
    if (open_) {
      try {
        db_.rollback();
      } catch (...) {  // the host rolls back what is left open anyway
      }
    }
  }
  Transaction(const Transaction&) = delete;
  void commit() {
    open_ = false;
    db_.commit();
  }

 private:
  Db& db_;
  bool open_ = true;
};

struct Tenant {
  std::int64_t id = 0;
  std::string slug, name, isolation;
};

struct User {
  std::int64_t id = 0;  // 0: anonymous
  std::string email, name;
  bool signed_in() const { return id != 0; }
};

class Request {
 public:
  explicit Request(calyx_call* call) : call_(call) {}
  std::string_view method() const { return to_string_view(detail::api().request_method(call_)); }
  std::string_view path() const { return to_string_view(detail::api().request_path(call_)); }
  std::string_view query_string() const { return to_string_view(detail::api().request_query(call_)); }
  std::string_view body() const { return to_string_view(detail::api().request_body(call_)); }
  // A path parameter (":slug").
  std::optional<std::string_view> param(std::string_view name) const {
    calyx_str out{};
    if (!detail::api().request_param(call_, to_calyx_str(name), &out)) return std::nullopt;
    return to_string_view(out);
  }
  std::optional<std::string_view> header(std::string_view name) const {
    calyx_str out{};
    if (!detail::api().request_header(call_, to_calyx_str(name), &out)) return std::nullopt;
    return to_string_view(out);
  }
  // A query-string value, decoded.
  std::optional<std::string> query(std::string_view name) const { return find(parse_form(query_string()), name); }
  // A form field of an application/x-www-form-urlencoded body, decoded.
  std::optional<std::string> form(std::string_view name) const { return find(parse_form(body()), name); }
  // The language of the page ("en" or "pt-BR"), as the host decided it: the person's choice, else their
  // browser's, else the workspace's default.
  std::string locale() const {
    auto value = header("x-calyx-locale");
    return value && !value->empty() ? std::string(*value) : std::string("en");
  }
  bool wants_json() const {
    auto accept = header("accept");
    return accept && accept->find("application/json") != std::string_view::npos;
  }

 private:
  static std::optional<std::string> find(const std::vector<std::pair<std::string, std::string>>& pairs,
                                         std::string_view name) {
    for (const auto& [key, value] : pairs) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
  calyx_call* call_;
};

class Response {
 public:
  explicit Response(calyx_call* call) : call_(call) {}
  Response& status(int code) {
    detail::api().response_status(call_, code);
    return *this;
  }
  Response& header(std::string_view name, std::string_view value) {
    detail::api().response_header(call_, to_calyx_str(name), to_calyx_str(value));
    return *this;
  }
  Response& write(std::string_view bytes) {
    detail::api().response_append(call_, to_calyx_str(bytes));
    return *this;
  }
  // A complete HTML page of the module's own (not wrapped in the tenant layout).
  Response& html(std::string_view page) { return header("Content-Type", "text/html; charset=utf-8").write(page); }
  Response& json(std::string_view document) { return header("Content-Type", "application/json").write(document); }
  Response& text(std::string_view body) { return header("Content-Type", "text/plain; charset=utf-8").write(body); }
  // An HTML fragment shown inside the tenant's layout with this page title.
  Response& render(std::string_view title, std::string_view fragment) {
    detail::api().response_render(call_, to_calyx_str(title), to_calyx_str(fragment));
    return *this;
  }
  Response& redirect(std::string_view location, int code = 303) { return status(code).header("Location", location); }

 private:
  calyx_call* call_;
};

// The context of one call into the module.
class Context {
 public:
  explicit Context(calyx_call* call) : call_(call), request_(call), response_(call), db_(call) {}

  Request& request() { return request_; }
  Response& response() { return response_; }
  Db& db() { return db_; }

  Tenant tenant() const {
    calyx_tenant_info info{};
    info.struct_size = sizeof info;
    detail::api().call_tenant(call_, &info);
    return Tenant{info.id, std::string(to_string_view(info.slug)), std::string(to_string_view(info.name)),
                  std::string(to_string_view(info.isolation))};
  }
  User user() const {
    calyx_user_info info{};
    info.struct_size = sizeof info;
    detail::api().call_user(call_, &info);
    return User{info.id, std::string(to_string_view(info.email)), std::string(to_string_view(info.name))};
  }
  std::vector<std::string> roles() const {
    std::vector<std::string> out;
    calyx_str role{};
    for (std::size_t i = 0; detail::api().user_role(call_, i, &role); ++i) out.emplace_back(to_string_view(role));
    return out;
  }
  bool can(std::string_view permission) const { return detail::api().user_can(call_, to_calyx_str(permission)) == 1; }

  // This module's settings for the tenant: a JSON object.
  std::string settings() const { return std::string(to_string_view(detail::api().settings_get(call_))); }
  void save_settings(std::string_view json_object) {
    check(detail::api().settings_set(call_, to_calyx_str(json_object)));
  }

  // Runs a hook point over the tenant's modules; returns the transformed JSON.
  std::string run_hook(std::string_view point, std::string_view data_json) {
    calyx_str out{};
    check(detail::api().run_hook(call_, to_calyx_str(point), to_calyx_str(data_json), &out));
    return std::string(to_string_view(out));
  }
  // The result of a hook, widget or job call.
  void set_result(std::string_view value) { detail::api().set_result(call_, to_calyx_str(value)); }

  // Renders a host template ({{escaped}}, {{{raw}}}, sections) with JSON data.
  std::string render_template(std::string_view text, std::string_view data_json) {
    calyx_str out{};
    check(detail::api().render_template(call_, to_calyx_str(text), to_calyx_str(data_json), &out));
    return std::string(to_string_view(out));
  }

  void log_debug(std::string_view message) { log(CALYX_LOG_DEBUG, message); }
  void log_info(std::string_view message) { log(CALYX_LOG_INFO, message); }
  void log_warn(std::string_view message) { log(CALYX_LOG_WARN, message); }
  void log_error(std::string_view message) { log(CALYX_LOG_ERROR, message); }

  calyx_call* raw() const { return call_; }

 private:
  void log(calyx_log_level level, std::string_view message) {
    detail::api().log(call_, level, to_calyx_str(message));
  }
  static void check(calyx_status status) {
    if (status != CALYX_OK) throw Failure(status, "");
  }
  calyx_call* call_;
  Request request_;
  Response response_;
  Db db_;
};

}  // namespace calyx::sdk
