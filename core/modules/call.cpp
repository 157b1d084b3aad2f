// The host services table (calyx_host_api, ABI 1.1) and the guarded invocation of module callbacks.
#include <calyx/modules/call.hpp>

#include "modules/host_api_internal.hpp"

#include <calyx/templates/template.hpp>
#include <calyx/text.hpp>

#include <boost/json/parse.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace calyx::modules {
namespace {

thread_local std::string init_error;

std::string_view sv(calyx_str s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }
calyx_str cs(std::string_view s) { return calyx_str{s.data(), s.size()}; }

calyx_status to_status(const Error& error) {
  switch (error.code()) {
    case Error::Code::invalid_argument: return CALYX_INVALID_ARGUMENT;
    case Error::Code::not_found: return CALYX_NOT_FOUND;
    case Error::Code::conflict: return CALYX_CONFLICT;
    case Error::Code::denied: return CALYX_DENIED;
    case Error::Code::unavailable:
    case Error::Code::timeout: return CALYX_UNAVAILABLE;
    default: return CALYX_ERROR;
  }
}

// Reports a failed service call to the module: the message goes where set_error would put it.
calyx_status fail(calyx_call* call, const Error& error) {
  call->error = error.message();
  return to_status(error);
}

std::string module_code(const calyx_call* call) { return call && call->module ? call->module->code : "?"; }

void h_log(calyx_call* call, int32_t level, calyx_str message) {
  auto text = sv(message);
  std::string who = module_code(call);
  switch (level) {
    case CALYX_LOG_DEBUG: spdlog::debug("[{}] {}", who, text); break;
    case CALYX_LOG_INFO: spdlog::info("[{}] {}", who, text); break;
    case CALYX_LOG_WARN: spdlog::warn("[{}] {}", who, text); break;
    default: spdlog::error("[{}] {}", who, text); break;
  }
}

void h_set_error(calyx_call* call, calyx_str message) {
  if (call) call->error = std::string(sv(message));
  else init_error = std::string(sv(message));
}

void h_call_tenant(calyx_call* call, calyx_tenant_info* out) {
  if (!out || out->struct_size < sizeof(calyx_tenant_info)) return;
  out->id = call->tenant.id;
  out->slug = cs(call->tenant.slug);
  out->name = cs(call->tenant.name);
  out->isolation = cs(call->tenant.isolation);
}

void h_call_user(calyx_call* call, calyx_user_info* out) {
  if (!out || out->struct_size < sizeof(calyx_user_info)) return;
  out->id = call->user.id;
  out->email = cs(call->user.email);
  out->name = cs(call->user.name);
}

int h_user_role(calyx_call* call, size_t index, calyx_str* out) {
  if (index >= call->user.roles.size()) return 0;
  *out = cs(call->user.roles[index]);
  return 1;
}

int h_user_can(calyx_call* call, calyx_str permission) { return call->user.can(sv(permission)) ? 1 : 0; }

calyx_str h_request_method(calyx_call* call) { return cs(call->request.method); }
calyx_str h_request_path(calyx_call* call) { return cs(call->request.path); }
calyx_str h_request_query(calyx_call* call) { return cs(call->request.query); }
calyx_str h_request_body(calyx_call* call) { return cs(call->request.body); }

int h_request_param(calyx_call* call, calyx_str name, calyx_str* out) {
  for (const auto& [key, value] : call->request.params) {
    if (key == sv(name)) {
      *out = cs(value);
      return 1;
    }
  }
  return 0;
}

int h_request_header(calyx_call* call, calyx_str name, calyx_str* out) {
  std::string lower = text::ascii_lower(sv(name));
  for (const auto& [key, value] : call->request.headers) {
    if (key == lower) {
      *out = cs(value);
      return 1;
    }
  }
  return 0;
}

void h_response_status(calyx_call* call, int32_t status) {
  if (status < 100 || status > 599) {
    spdlog::warn("[{}] ignored invalid response status {}", module_code(call), status);
    return;
  }
  call->response.status = status;
  call->response.written = true;
}

void h_response_header(calyx_call* call, calyx_str name, calyx_str value) {
  // Header names and values must not smuggle a line break into the response.
  auto n = sv(name), v = sv(value);
  bool safe = !n.empty() && n.find_first_of("\r\n:") == std::string_view::npos && v.find_first_of("\r\n") == std::string_view::npos;
  if (!safe) {
    spdlog::warn("[{}] ignored an unsafe response header", module_code(call));
    return;
  }
  call->response.headers.emplace_back(n, v);
  call->response.written = true;
}

void h_response_append(calyx_call* call, calyx_str bytes) {
  call->response.body.append(sv(bytes));
  call->response.written = true;
}

void h_response_render(calyx_call* call, calyx_str title, calyx_str fragment) {
  call->response.render_in_layout = true;
  call->response.title = std::string(sv(title));
  call->response.body = std::string(sv(fragment));
  call->response.written = true;
}

calyx_status no_services(calyx_call* call) {
  if (call->never_blocks) {
    call->error = "this route is declared CALYX_ROUTE_NONBLOCKING: it may not use the database, settings or hooks";
    return CALYX_DENIED;
  }
  call->error = "this call has no tenant database (no tenant is in scope)";
  return CALYX_UNAVAILABLE;
}

calyx_status h_db_execute(calyx_call* call, calyx_str sql, const calyx_value* params, size_t count, int64_t* affected) {
  if (!call->services) return no_services(call);
  auto done = call->services->db_execute(*call, sv(sql), std::span<const calyx_value>(params, params ? count : 0));
  if (!done) return fail(call, done.error());
  if (affected) *affected = *done;
  return CALYX_OK;
}

calyx_status h_db_query(calyx_call* call, calyx_str sql, const calyx_value* params, size_t count, calyx_rows** out) {
  if (!call->services) return no_services(call);
  auto cursor = call->services->db_query(*call, sv(sql), std::span<const calyx_value>(params, params ? count : 0));
  if (!cursor) return fail(call, cursor.error());
  call->cursors.push_back(std::move(cursor.value()));
  *out = reinterpret_cast<calyx_rows*>(call->cursors.back().get());
  return CALYX_OK;
}

RowCursor* cursor_of(calyx_rows* rows) { return reinterpret_cast<RowCursor*>(rows); }

int h_rows_next(calyx_rows* rows) { return rows ? cursor_of(rows)->next() : -1; }
size_t h_rows_column_count(calyx_rows* rows) { return rows ? cursor_of(rows)->column_count() : 0; }
calyx_str h_rows_column_name(calyx_rows* rows, size_t column) {
  return rows ? cs(cursor_of(rows)->column_name(column)) : calyx_str{nullptr, 0};
}
void h_rows_value(calyx_rows* rows, size_t column, calyx_value* out) {
  *out = calyx_value{};
  if (rows) cursor_of(rows)->value(column, out);
}
// Cursors stay owned by the call until it ends; closing frees their result early.
void h_rows_close(calyx_rows*) {}

calyx_status h_db_begin(calyx_call* call) {
  if (!call->services) return no_services(call);
  auto done = call->services->db_begin(*call);
  return done ? CALYX_OK : fail(call, done.error());
}
calyx_status h_db_commit(calyx_call* call) {
  if (!call->services) return no_services(call);
  auto done = call->services->db_commit(*call);
  return done ? CALYX_OK : fail(call, done.error());
}
calyx_status h_db_rollback(calyx_call* call) {
  if (!call->services) return no_services(call);
  auto done = call->services->db_rollback(*call);
  return done ? CALYX_OK : fail(call, done.error());
}

calyx_str h_settings_get(calyx_call* call) {
  if (!call->services) return cs("{}");
  auto settings = call->services->settings_get(*call);
  return settings ? call->keep(std::move(settings.value())) : cs("{}");
}

calyx_status h_settings_set(calyx_call* call, calyx_str json) {
  if (!call->services) return no_services(call);
  auto done = call->services->settings_set(*call, sv(json));
  return done ? CALYX_OK : fail(call, done.error());
}

calyx_status h_run_hook(calyx_call* call, calyx_str point, calyx_str data, calyx_str* out) {
  if (!call->services) return no_services(call);
  auto result = call->services->run_hook(*call, sv(point), sv(data));
  if (!result) return fail(call, result.error());
  *out = call->keep(std::move(result.value()));
  return CALYX_OK;
}

void h_set_result(calyx_call* call, calyx_str value) { call->result = std::string(sv(value)); }

calyx_status h_render_template(calyx_call* call, calyx_str text, calyx_str data, calyx_str* out) {
  boost::system::error_code ec;
  auto value = boost::json::parse(sv(data).empty() ? std::string_view("{}") : sv(data), ec);
  if (ec) return fail(call, Error::invalid_argument("template data is not JSON: " + ec.message()));
  auto rendered = templates::render(sv(text), value);
  if (!rendered) return fail(call, rendered.error());
  *out = call->keep(std::move(rendered.value()));
  return CALYX_OK;
}

const calyx_host_api kHostApi = {
    sizeof(calyx_host_api), CALYX_ABI_VERSION_MAJOR, CALYX_ABI_VERSION_MINOR, 0,
    h_log, h_set_error,
    h_call_tenant, h_call_user, h_user_role, h_user_can,
    h_request_method, h_request_path, h_request_query, h_request_body, h_request_param, h_request_header,
    h_response_status, h_response_header, h_response_append, h_response_render,
    h_db_execute, h_db_query, h_rows_next, h_rows_column_count, h_rows_column_name, h_rows_value, h_rows_close,
    h_db_begin, h_db_commit, h_db_rollback,
    h_settings_get, h_settings_set,
    h_run_hook, h_set_result, h_render_template,
};

// Runs a module callback: a C++ exception that escaped the module (one not built with the SDK) is contained.
template <typename F>
calyx_status guarded(calyx_call& call, F&& invoke) {
  try {
    calyx_status status = invoke();
    if (status != CALYX_OK && call.error.empty()) call.error = fmt::format("failed with status {}", int(status));
    return status;
  } catch (const std::exception& e) {
    call.error = fmt::format("threw across the ABI: {}", e.what());
  } catch (...) {
    call.error = "threw across the ABI";
  }
  return CALYX_ERROR;
}

}  // namespace

namespace detail {
std::string take_init_error() { return std::exchange(init_error, std::string()); }
}  // namespace detail

const calyx_host_api* host_api() { return &kHostApi; }

calyx_status invoke_route(const RouteSpec& route, calyx_call& call) {
  return guarded(call, [&] { return route.handler(&call, route.user_data); });
}

calyx_status invoke_hook(const HookHandler& hook, calyx_call& call, std::string_view data_json) {
  return guarded(call, [&] { return hook.handler(&call, cs(hook.point), cs(data_json), hook.user_data); });
}

calyx_status invoke_widget(const Widget& widget, calyx_call& call) {
  return guarded(call, [&] { return widget.render(&call, widget.user_data); });
}

calyx_status invoke_setup_tenant(const ModuleInfo& module, calyx_call& call, std::string_view options_json) {
  if (!module.setup_tenant) return CALYX_OK;
  return guarded(call, [&] { return module.setup_tenant(&call, cs(options_json), module.user_data); });
}

calyx_status invoke_cleanup_tenant(const ModuleInfo& module, calyx_call& call) {
  if (!module.cleanup_tenant) return CALYX_OK;
  return guarded(call, [&] { return module.cleanup_tenant(&call, module.user_data); });
}

}  // namespace calyx::modules

calyx_str calyx_call::keep(std::string text) {
  arena.push_back(std::move(text));
  return calyx_str{arena.back().data(), arena.back().size()};
}
