// Module route execution.
#include <calyx/modules/dispatch.hpp>

#include <calyx/modules/hooks.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace calyx::modules {

DispatchOutcome run_route(const ModuleRegistry& registry, const RouteMatch& match, RequestView request,
                          const CallScope& scope) {
  DispatchOutcome outcome;
  outcome.module = match.target.module;
  outcome.route = match.target.route;

  // A route that never blocks gets no services: waiting on the database would stall a network thread.
  bool never_blocks = match.target.route->never_blocks();
  std::optional<DatabaseCallServices> services;
  if (scope.host_pool && !never_blocks) services.emplace(scope.data, *scope.host_pool, &registry, scope.active_modules);

  calyx_call call;
  call.kind = CallKind::http;
  call.never_blocks = never_blocks;
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

std::vector<RenderedWidget> render_dashboard(const ModuleRegistry& registry, const CallScope& scope) {
  std::vector<std::pair<const ModuleInfo*, const Widget*>> shown;
  for (const auto& code : scope.active_modules) {
    const ModuleInfo* module = registry.find(code);
    if (!module) continue;
    for (const auto& widget : module->widgets) {
      if (widget.permission.empty() || scope.user.can(widget.permission)) shown.emplace_back(module, &widget);
    }
  }
  std::stable_sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) { return a.second->order < b.second->order; });

  std::optional<DatabaseCallServices> services;
  if (scope.host_pool) services.emplace(scope.data, *scope.host_pool, &registry, scope.active_modules);
  boost::json::array widgets;
  for (const auto& [module, widget] : shown) {
    calyx_call call;
    call.kind = CallKind::widget;
    call.module = module;
    call.request.headers.emplace_back("x-calyx-locale", scope.locale);  // Request::locale() in the widget
    call.tenant = scope.tenant;
    call.user = scope.user;
    call.services = services ? &*services : nullptr;
    calyx_status status = invoke_widget(*widget, call);
    if (status != CALYX_OK) {
      spdlog::error("module {} widget {} failed (status {}): {}", module->code, widget->code, static_cast<int>(status), call.error);
      continue;
    }
    widgets.push_back(boost::json::object{{"module", module->code}, {"code", widget->code}, {"title", widget->title},
                                          {"html", call.result.value_or("")}});
  }
  auto outcome = execute_hooks(registry, "dashboard_widgets",
                               boost::json::serialize(boost::json::object{{"widgets", std::move(widgets)}}),
                               scope.active_modules, [&](calyx_call& call) {
                                 call.tenant = scope.tenant;
                                 call.user = scope.user;
                                 call.services = services ? &*services : nullptr;
                               });
  for (const auto& failure : outcome.failures) spdlog::error("{}", failure);
  if (services) (void)services->finish(true);

  std::vector<RenderedWidget> rendered;
  boost::system::error_code ec;
  auto data = boost::json::parse(outcome.data, ec);
  const boost::json::array* list = nullptr;
  if (!ec && data.is_object()) {
    if (auto* found = data.as_object().if_contains("widgets"); found && found->is_array()) list = &found->as_array();
  }
  if (!list) return rendered;
  auto text = [](const boost::json::object& object, std::string_view key) {
    auto* value = object.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  for (const auto& entry : *list) {
    if (!entry.is_object()) continue;
    const auto& object = entry.as_object();
    rendered.push_back({text(object, "module"), text(object, "code"), text(object, "title"), text(object, "html")});
  }
  return rendered;
}

}  // namespace calyx::modules
