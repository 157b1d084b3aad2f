// Third-party modules: the example built out of tree against the installed SDK, and a project written by
// `calyx gen module`, each built, loaded by the host and called through its routes.
#include "cli/host_migrations.hpp"
#include "support/fixture_modules.hpp"
#include "support/out_of_tree.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <calyx/migrations/migrator.hpp>
#include <calyx/modules/dispatch.hpp>

#include <doctest/doctest.h>

#include <filesystem>

using namespace calyx;
using calyx::testing::TempDir;

namespace {

// Loads the module at `file`, migrates it into a fresh SQLite database, and calls its routes.
struct LoadedModule {
  explicit LoadedModule(const std::string& file) {
    modules::ModuleLoader loader(modules::host_api());
    std::vector<modules::ModuleLoader::Outcome> outcomes;
    outcomes.push_back({file, loader.load(file)});
    REQUIRE_MESSAGE(outcomes[0].module.ok(), (outcomes[0].module.ok() ? "" : outcomes[0].module.error().message()));
    module = outcomes[0].module.value();
    registry = std::make_unique<modules::ModuleRegistry>(modules::ModuleRegistry::build(std::move(outcomes)));
    pool = database.open_pool();
    auto host_files = calyx_host_migration_files();
    auto host = migrations::parse_migration_files(host_files);
    REQUIRE(migrations::Migrator(*pool, migrations::Scope{}).apply(host.value()).ok());
    REQUIRE(migrations::Migrator(*pool, migrations::Scope{module->code, ""}).apply(module->migrations).ok());
  }

  modules::DispatchOutcome call(const std::string& method, const std::string& path, const std::string& body = "",
                                std::set<std::string, std::less<>> permissions = {}) {
    auto match = registry->route(method, path);
    REQUIRE_MESSAGE(match, "no route for ", method, " ", path);
    modules::CallScope scope;
    scope.tenant = {1, "acme", "Acme", "isolated"};
    scope.user = {5, "ann@example.com", "Ann", {}, std::move(permissions)};
    scope.data = {pool.get(), ""};
    scope.host_pool = pool.get();
    return modules::run_route(*registry, *match, {method, path, "", body, {}, {}}, scope);
  }

  testing::TestDatabase database{db::Backend::sqlite};
  std::shared_ptr<const modules::ModuleInfo> module;
  std::unique_ptr<modules::ModuleRegistry> registry;
  std::unique_ptr<db::ConnectionPool> pool;
};

}  // namespace

TEST_CASE("the example module builds out of tree against the installed SDK, loads and serves") {
  TempDir build;
  testing::build_module_project(CALYX_SOURCE_DIR "/examples/guestbook", build.path().string());
  LoadedModule guestbook(build.file("guestbook.so"));
  CHECK(guestbook.module->code == "guestbook");
  CHECK(guestbook.module->migrations.size() == 1);

  auto signed_in = guestbook.call("POST", "/guestbook", "author=%3Cb%3EAnn%3C%2Fb%3E&message=Hello+there");
  CHECK(signed_in.status == CALYX_OK);
  CHECK(signed_in.response.status == 303);
  auto page = guestbook.call("GET", "/guestbook");
  REQUIRE(page.status == CALYX_OK);
  CHECK(page.response.render_in_layout);
  CHECK(page.response.body.find("<strong>&lt;b&gt;Ann&lt;/b&gt;</strong>: Hello there") != std::string::npos);
  auto refused = guestbook.call("POST", "/guestbook", "author=Bo");
  CHECK(refused.status == CALYX_INVALID_ARGUMENT);
  CHECK(refused.error == "both a name and a message are required");
}

TEST_CASE("calyx gen module writes a project that builds warning-free, passes its test, loads and answers") {
  TempDir work;
  auto generated = testing::run_calyx(
      {"gen", "module", "Helpdesk", "--code=helpdesk", "--description=Customer support and ticket management",
       "--path", work.path().string()},
      {}, work.path());
  CAPTURE(generated.err);
  REQUIRE(generated.exit_code == 0);
  CHECK(generated.out.find("created " + work.file("helpdesk/src/helpdesk.cpp")) != std::string::npos);

  std::string build = work.file("build");
  testing::build_module_project(work.file("helpdesk"), build);  // -Wall -Wextra -Werror in the project
  testing::Process manifest_test(build + "/helpdesk_manifest_test", {}, {}, build);
  REQUIRE(manifest_test.wait(std::chrono::seconds(30)) == 0);

  LoadedModule helpdesk(build + "/helpdesk.so");
  CHECK(helpdesk.module->description == "Customer support and ticket management");
  CHECK(helpdesk.module->roles.size() == 2);
  std::set<std::string, std::less<>> editor = {"helpdesk.items.view", "helpdesk.items.edit"};
  CHECK(helpdesk.call("POST", "/helpdesk/items", "title=Printer+on+fire", editor).response.status == 303);
  auto page = helpdesk.call("GET", "/helpdesk", "", editor);
  REQUIRE(page.status == CALYX_OK);
  CHECK(page.response.body.find("<h1>Helpdesk</h1>") != std::string::npos);
  CHECK(page.response.body.find("Printer on fire") != std::string::npos);
  CHECK(helpdesk.call("GET", "/helpdesk/items/1", "", editor).response.title == "Printer on fire");
  CHECK(helpdesk.call("GET", "/helpdesk/items/99", "", editor).status == CALYX_NOT_FOUND);

  auto again = testing::run_calyx({"gen", "module", "Helpdesk", "--path", work.path().string()}, {}, work.path());
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already exists and is not empty; nothing was written") != std::string::npos);
  auto bad = testing::run_calyx({"gen", "module", "Helpdesk", "--code=Help Desk"}, {}, work.path());
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("--code 'Help Desk' is invalid") != std::string::npos);
}
