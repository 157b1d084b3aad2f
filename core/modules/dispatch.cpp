// Module route execution.
#include <calyx/modules/dispatch.hpp>

#include <spdlog/spdlog.h>

namespace calyx::modules {

DispatchOutcome run_route(const ModuleRegistry& registry, const RouteMatch& match, RequestView request,
                          const CallScope& scope) {
  DispatchOutcome outcome;
  outcome.module = match.target.module;
  outcome.route = match.target.route;

  std::optional<DatabaseCallServices> services;
  if (scope.host_pool) services.emplace(scope.data, *scope.host_pool, &registry, scope.active_modules);

  calyx_call call;
  call.kind = CallKind::http;
  call.module = match.target.module;
  call.tenant = scope.tenant;
  call.user = scope.user;
  call.request = std::move(request);
  call.request.params = match.params;
  call.services = services ? &*services : nullptr;

  outcome.status = invoke_route(*match.target.route, call);
  if (services) {
    if (auto ended = services->finish(outcome.status == CALYX_OK); !ended) {
      // The handler succeeded but its work could not be committed: the request failed.
      outcome.status = CALYX_UNAVAILABLE;
      call.error = "could not commit: " + ended.error().message();
    }
  }
  outcome.error = std::move(call.error);
  outcome.response = std::move(call.response);
  if (outcome.status != CALYX_OK) {
    spdlog::log(outcome.status == CALYX_ERROR || outcome.status == CALYX_UNAVAILABLE ? spdlog::level::err
                                                                                     : spdlog::level::info,
                "module {} {} {} failed (status {}): {}", outcome.module->code, outcome.route->method,
                outcome.route->pattern, static_cast<int>(outcome.status), outcome.error);
  }
  return outcome;
}

}  // namespace calyx::modules
