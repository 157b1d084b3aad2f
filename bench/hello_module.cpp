// Benchmark module: the smallest useful handler, answering "ok".
#include <calyx/sdk.hpp>

namespace {
void define(calyx::sdk::ModuleDefinition& m) {
  m.code("hello").name("Hello").description("Benchmark module").version("1.0.0");
  m.get("/hello", [](calyx::sdk::Context& c) { c.response().write("ok"); }, calyx::sdk::Access::public_route);
}
}  // namespace

CALYX_MODULE(define)
