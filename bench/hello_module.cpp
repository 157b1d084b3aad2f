// Benchmark module: the smallest useful handler, answering "ok".
#include <calyx/sdk.hpp>

namespace {
void define(calyx::sdk::ModuleDefinition& m) {
  m.code("hello").name("Hello").description("Benchmark module").version("1.0.0");
  // It answers from memory alone: the host may run it on a network thread (ABI 1.1).
  m.get("/hello", [](calyx::sdk::Context& c) { c.response().write("ok"); }, calyx::sdk::Access::public_route).never_blocks();
}
}  // namespace

CALYX_MODULE(define)
