// The registry: which modules are used and why the others are refused; routes; dependency order; hooks;
// guarded calls into module handlers.
#include "support/fixture_modules.hpp"

#include <calyx/modules/hooks.hpp>
#include <calyx/modules/registry.hpp>

#include <doctest/doctest.h>

using namespace calyx;
using calyx::modules::ModuleLoader;
using calyx::modules::ModuleRegistry;

namespace {

const std::vector<std::string> kReserved = {"healthz", "readyz", "admin"};

// Libraries stay mapped after their loader is gone (modules are never unloaded), so a local loader is fine.
ModuleRegistry registry_of(const testing::ModulesDir& dir) {
  ModuleLoader loader(modules::host_api());
  return ModuleRegistry::build(loader.discover(dir.path()), kReserved);
}

const modules::ModuleStatus& status_of(const ModuleRegistry& registry, const std::string& file_stem) {
  for (const auto& status : registry.statuses()) {
    if (status.file.ends_with("/" + file_stem + ".so")) return status;
  }
  FAIL("no status for " << file_stem);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("modules load in dependency order") {
  testing::ModulesDir dir({"good_beta", "good_alpha"});
  auto registry = registry_of(dir);
  REQUIRE(registry.in_dependency_order().size() == 2);
  CHECK(registry.in_dependency_order()[0]->code == "alpha");
  CHECK(registry.in_dependency_order()[1]->code == "beta");
  CHECK(registry.find("beta") != nullptr);
  auto chain = registry.with_dependencies("beta");
  REQUIRE(chain.size() == 2);
  CHECK(chain[0]->code == "alpha");
}

TEST_CASE("a second module with the same code is refused; the first file in name order keeps it") {
  testing::ModulesDir dir({"good_alpha", "duplicate_code"});
  auto registry = registry_of(dir);
  const auto& second = status_of(registry, "good_alpha");
  CHECK_FALSE(second.loaded);
  CHECK(second.reason == "duplicate module code 'alpha': already provided by " + dir.file("duplicate_code"));
  CHECK(registry.find("alpha")->version.to_string() == "9.9.9");
}

TEST_CASE("a missing dependency refuses the module, and refusals cascade") {
  testing::ModulesDir dir({"missing_dependency"});
  auto registry = registry_of(dir);
  CHECK(status_of(registry, "missing_dependency").reason ==
        "missing dependency: needs module 'nonexistent', which is not installed");

  testing::ModulesDir without_alpha({"good_beta", "init_fails"});
  auto cascade = registry_of(without_alpha);
  CHECK(status_of(cascade, "good_beta").reason ==
        "missing dependency: needs module 'alpha', which is not installed");
}

TEST_CASE("a dependency whose version does not satisfy the requirement refuses the module") {
  testing::ModulesDir dir({"good_alpha", "version_not_met"});
  auto registry = registry_of(dir);
  CHECK(status_of(registry, "version_not_met").reason == "dependency version not met: needs 'alpha' ^2.0, found 1.2.0");
  CHECK(status_of(registry, "good_alpha").loaded);
}

TEST_CASE("modules on a dependency cycle are refused") {
  testing::ModulesDir dir({"cycle_a", "cycle_b", "good_alpha"});
  auto registry = registry_of(dir);
  CHECK(status_of(registry, "cycle_a").reason == "dependency cycle: cyca -> cycb -> cyca");
  CHECK(status_of(registry, "cycle_b").reason == "dependency cycle: cyca -> cycb -> cyca");
  CHECK(registry.in_dependency_order().size() == 1);
}

TEST_CASE("a route clash refuses the later module, naming both routes") {
  testing::ModulesDir dir({"good_alpha", "route_clash"});
  auto registry = registry_of(dir);
  CHECK(status_of(registry, "route_clash").reason ==
        "route GET /alpha/items/:key clashes with GET /alpha/items/:id of module 'alpha'");
  auto match = registry.route("GET", "/alpha/items/7");
  REQUIRE(match);
  CHECK(match->target.module->code == "alpha");
}

TEST_CASE("a route on a path the host reserves is refused") {
  testing::ModulesDir dir({"reserved_route"});
  auto registry = registry_of(dir);
  CHECK(status_of(registry, "reserved_route").reason == "route GET /healthz uses a path reserved by the host");
}

TEST_CASE("routes match literals before parameters, decode parameters, and know their paths") {
  testing::ModulesDir dir({"good_alpha"});
  auto registry = registry_of(dir);
  auto literal = registry.route("GET", "/alpha/items/new");
  REQUIRE(literal);
  CHECK(literal->target.route->pattern == "/alpha/items/new");
  CHECK(literal->params.empty());

  auto param = registry.route("GET", "/alpha/items/caf%C3%A9%20au%20lait");
  REQUIRE(param);
  CHECK(param->target.route->pattern == "/alpha/items/:id");
  REQUIRE(param->params.size() == 1);
  CHECK(param->params[0] == std::pair<std::string, std::string>{"id", "café au lait"});

  auto rest = registry.route("GET", "/alpha/files/a/b/c.txt");
  REQUIRE(rest);
  CHECK(rest->params[0].second == "a/b/c.txt");

  CHECK_FALSE(registry.route("POST", "/alpha/items/7"));
  CHECK(registry.path_exists("/alpha/items/7"));
  CHECK_FALSE(registry.route("GET", "/alpha/nothing"));
  CHECK_FALSE(registry.path_exists("/alpha/nothing"));
  CHECK_FALSE(registry.route("GET", "/alpha/items"));
}

TEST_CASE("hooks run over the active modules in dependency order, each transforming the data") {
  testing::ModulesDir dir({"good_beta", "good_alpha", "throws_in_handler"});
  auto registry = registry_of(dir);
  std::set<std::string, std::less<>> active = {"alpha", "beta"};
  auto outcome = modules::execute_hooks(registry, "greeting", "{}", active, {});
  CHECK(outcome.data == R"({"alpha":true,"beta":true})");
  CHECK(outcome.failures.empty());

  auto only_beta = modules::execute_hooks(registry, "greeting", "{}", {"beta"}, {});
  CHECK(only_beta.data == R"({"beta":true})");

  // A failing handler is reported and skipped; the others still run.
  auto with_thrower = modules::execute_hooks(registry, "greeting", "{}", {"alpha", "thrower"}, {});
  CHECK(with_thrower.data == R"({"alpha":true})");
  REQUIRE(with_thrower.failures.size() == 1);
  CHECK(with_thrower.failures[0] == "module 'thrower' failed on hook 'greeting': hook exploded");

  auto nobody = modules::execute_hooks(registry, "no_such_point", R"({"x":1})", active, {});
  CHECK(nobody.data == R"({"x":1})");
}

TEST_CASE("an exception in a handler becomes an error status for that call only") {
  testing::ModulesDir dir({"throws_in_handler", "good_alpha"});
  auto registry = registry_of(dir);

  auto boom = registry.route("GET", "/thrower/boom");
  REQUIRE(boom);
  calyx_call failing;
  failing.module = boom->target.module;
  CHECK(modules::invoke_route(*boom->target.route, failing) == CALYX_ERROR);
  CHECK(failing.error == "handler exploded");

  auto missing = registry.route("GET", "/thrower/missing");
  calyx_call not_found;
  CHECK(modules::invoke_route(*missing->target.route, not_found) == CALYX_NOT_FOUND);
  CHECK(not_found.error == "no such thing");

  auto hello = registry.route("GET", "/alpha/hello");
  calyx_call fine;
  CHECK(modules::invoke_route(*hello->target.route, fine) == CALYX_OK);
  CHECK(fine.response.body == "hello from alpha");
  CHECK(fine.response.headers.at(0) == std::pair<std::string, std::string>{"Content-Type", "text/plain; charset=utf-8"});
}

TEST_CASE("a failing setup_tenant reports its status and message") {
  testing::ModulesDir dir({"throws_in_handler"});
  auto registry = registry_of(dir);
  calyx_call call;
  call.kind = modules::CallKind::setup_tenant;
  CHECK(modules::invoke_setup_tenant(*registry.find("thrower"), call, "{}") == CALYX_INVALID_ARGUMENT);
  CHECK(call.error == "setup refused: missing option 'plan'");
}

TEST_CASE("database services without a tenant in scope fail clearly") {
  testing::ModulesDir dir({"good_alpha"});
  auto registry = registry_of(dir);
  calyx_call call;
  const calyx_host_api* api = modules::host_api();
  int64_t affected = 0;
  CHECK(api->db_execute(&call, calyx_str{"SELECT 1", 8}, nullptr, 0, &affected) == CALYX_UNAVAILABLE);
  CHECK(call.error == "this call has no tenant database (no tenant is in scope)");
}
