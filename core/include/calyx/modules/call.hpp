// One call from the host into a module (struct calyx_call of the ABI): who it is for (tenant, user), the
// request and the response being built for HTTP calls, the result of hook/widget/job calls, the error the
// module set, and the host services behind the database and settings functions. Strings handed to the module
// live in the call's arena until the call ends.
// Thread-safety: a call belongs to the one thread that makes it.
#pragma once

#include <calyx/modules/module_info.hpp>
#include <calyx/plugin_api.h>
#include <calyx/result.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calyx::modules {

enum class CallKind { http, hook, widget, job, setup_tenant, cleanup_tenant };

struct CallTenant {
  std::int64_t id = 0;
  std::string slug, name, isolation;
};

struct CallUser {
  std::int64_t id = 0;  // 0: anonymous
  std::string email, name;
  std::vector<std::string> roles;
  std::set<std::string, std::less<>> permissions;  // granted by the roles, prohibitions already removed
  bool can(std::string_view permission) const { return permissions.contains(permission); }
};

struct RequestView {
  std::string method, path, query, body;
  std::vector<std::pair<std::string, std::string>> params;   // path parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
};

struct ResponseDraft {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool render_in_layout = false;  // response_render was called: `body` is a fragment titled `title`
  std::string title;
  bool written = false;  // the module wrote something (status, header or body)
};

// A result set being read by a module (calyx_rows).
class RowCursor {
 public:
  virtual ~RowCursor() = default;
  virtual int next() = 0;  // 1 row, 0 end, -1 error (message via error())
  virtual std::size_t column_count() const = 0;
  virtual std::string_view column_name(std::size_t column) const = 0;
  virtual void value(std::size_t column, calyx_value* out) = 0;  // valid until next()
  virtual const std::string& error() const = 0;
};

// The tenant-scoped services behind a call: the host decides which database, schema and rows they reach.
class CallServices {
 public:
  virtual ~CallServices() = default;
  virtual Result<std::int64_t> db_execute(calyx_call& call, std::string_view sql, std::span<const calyx_value> params) = 0;
  virtual Result<std::unique_ptr<RowCursor>> db_query(calyx_call& call, std::string_view sql,
                                                      std::span<const calyx_value> params) = 0;
  virtual Status db_begin(calyx_call& call) = 0;
  virtual Status db_commit(calyx_call& call) = 0;
  virtual Status db_rollback(calyx_call& call) = 0;
  virtual Result<std::string> settings_get(calyx_call& call) = 0;
  virtual Status settings_set(calyx_call& call, std::string_view json) = 0;
  virtual Result<std::string> run_hook(calyx_call& call, std::string_view point, std::string_view data_json) = 0;
};

// The host services table given to every module's init.
const calyx_host_api* host_api();

// Invokes module callbacks with exceptions contained and the call's error filled on failure.
calyx_status invoke_route(const RouteSpec& route, calyx_call& call);
calyx_status invoke_hook(const HookHandler& hook, calyx_call& call, std::string_view data_json);
calyx_status invoke_widget(const Widget& widget, calyx_call& call);
calyx_status invoke_setup_tenant(const ModuleInfo& module, calyx_call& call, std::string_view options_json);
calyx_status invoke_cleanup_tenant(const ModuleInfo& module, calyx_call& call);

}  // namespace calyx::modules

// The ABI's opaque call type, defined here for the host.
struct calyx_call {
  calyx::modules::CallKind kind = calyx::modules::CallKind::http;
  const calyx::modules::ModuleInfo* module = nullptr;
  calyx::modules::CallTenant tenant;
  calyx::modules::CallUser user;
  calyx::modules::RequestView request;
  calyx::modules::ResponseDraft response;
  std::optional<std::string> result;
  std::string error;
  calyx::modules::CallServices* services = nullptr;
  bool never_blocks = false;  // a CALYX_ROUTE_NONBLOCKING route's call: services are refused, not missing

  // Keeps `text` alive for the rest of the call and returns a view of it.
  calyx_str keep(std::string text);

  std::deque<std::string> arena;
  std::vector<std::unique_ptr<calyx::modules::RowCursor>> cursors;
};
