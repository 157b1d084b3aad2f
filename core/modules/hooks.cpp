// Hook execution.
#include <calyx/modules/hooks.hpp>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace calyx::modules {

HookOutcome execute_hooks(const ModuleRegistry& registry, std::string_view point, std::string data_json,
                          const std::set<std::string, std::less<>>& active_modules, const CallPreparer& prepare) {
  HookOutcome outcome{std::move(data_json), {}};
  for (const HookCall& hook : registry.hook_handlers(point, active_modules)) {
    calyx_call call;
    call.kind = CallKind::hook;
    call.module = hook.module;
    if (prepare) prepare(call);
    calyx_status status = invoke_hook(*hook.handler, call, outcome.data);
    std::string problem;
    if (status != CALYX_OK) {
      problem = call.error;
    } else if (call.result) {
      boost::system::error_code ec;
      boost::json::parse(*call.result, ec);
      if (ec) problem = "its result is not JSON (" + ec.message() + ")";
      else outcome.data = std::move(*call.result);
    }
    if (!problem.empty()) {
      std::string failure = fmt::format("module '{}' failed on hook '{}': {}", hook.module->code, point, problem);
      spdlog::warn("{}", failure);
      outcome.failures.push_back(std::move(failure));
    }
  }
  return outcome;
}

}  // namespace calyx::modules
