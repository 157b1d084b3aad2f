// Running one module route for a request: find the route, build the call (tenant, user, request, the
// tenant's data scope), invoke the handler behind its guard, and end the call's transaction (commit on
// success, roll back on failure). The HTTP layer turns the outcome into a response.
// Thread-safety: safe to call concurrently; each call has its own connection.
#pragma once

#include <calyx/modules/call.hpp>
#include <calyx/modules/database_services.hpp>
#include <calyx/modules/registry.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace calyx::modules {

struct CallScope {
  CallTenant tenant;
  CallUser user;
  DataScope data;
  db::ConnectionPool* host_pool = nullptr;
  std::set<std::string, std::less<>> active_modules;  // the tenant's modules, for hooks
  std::string locale = "en";                           // the page's language, for calls without a request
};

struct DispatchOutcome {
  const ModuleInfo* module = nullptr;
  const RouteSpec* route = nullptr;
  calyx_status status = CALYX_OK;
  std::string error;       // the module's message when status is not OK
  ResponseDraft response;  // what the module wrote
};

// Runs the handler of an already matched route. `request.params` must hold the match's parameters.
DispatchOutcome run_route(const ModuleRegistry& registry, const RouteMatch& match, RequestView request,
                          const CallScope& scope);

// A dashboard widget as rendered for one user.
struct RenderedWidget {
  std::string module, code, title, html;
};
// The dashboard: the widgets of the scope's active modules that the user may see (by permission, then order),
// each rendered by its module, then passed through the `dashboard_widgets` hook ({"widgets": [{module, code,
// title, html}]}) so modules may reorder, drop or add entries. A widget that fails is left out and logged.
std::vector<RenderedWidget> render_dashboard(const ModuleRegistry& registry, const CallScope& scope);

}  // namespace calyx::modules
