// What a call through the module ABI costs: the same handler ("write ok into the response") invoked as a
// loaded module's route (SDK barrier, Context, std::function, host services through function pointers)
// and compiled into the host (a direct call). Run: build/bench/abi_call_bench (see docs/performance.md).
#include <calyx/modules/call.hpp>
#include <calyx/modules/loader.hpp>
#include <calyx/modules/registry.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>

namespace {

// The handler as the host would have it built in.
[[gnu::noinline]] calyx_status in_host_handler(calyx_call* call) {
  call->response.body.append("ok");
  call->response.written = true;
  return CALYX_OK;
}

void handler_compiled_into_host(benchmark::State& state) {
  calyx_call call;
  for (auto _ : state) {
    call.response.body.clear();
    benchmark::DoNotOptimize(in_host_handler(&call));
  }
}
BENCHMARK(handler_compiled_into_host);

void handler_through_abi(benchmark::State& state) {
  calyx::modules::ModuleLoader loader(calyx::modules::host_api());
  auto module = loader.load(CALYX_BENCH_MODULE);
  if (!module) {
    state.SkipWithError(module.error().message().c_str());
    return;
  }
  const calyx::modules::RouteSpec& route = (*module)->routes.front();
  calyx_call call;
  call.module = module->get();
  for (auto _ : state) {
    call.response.body.clear();
    benchmark::DoNotOptimize(calyx::modules::invoke_route(route, call));
  }
  if (call.response.body != "ok") state.SkipWithError("the module did not answer ok");
}
BENCHMARK(handler_through_abi);

void route_lookup(benchmark::State& state) {
  calyx::modules::ModuleLoader loader(calyx::modules::host_api());
  std::vector<calyx::modules::ModuleLoader::Outcome> outcomes;
  outcomes.push_back({CALYX_BENCH_MODULE, loader.load(CALYX_BENCH_MODULE)});
  auto registry = calyx::modules::ModuleRegistry::build(std::move(outcomes));
  for (auto _ : state) benchmark::DoNotOptimize(registry.route("GET", "/hello"));
}
BENCHMARK(route_lookup);

}  // namespace

BENCHMARK_MAIN();
