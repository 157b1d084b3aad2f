// The module loader: a good module is copied faithfully; each way a module can be broken is refused with
// the exact message an operator sees, and the host keeps running.
#include "support/fixture_modules.hpp"

#include <calyx/modules/call.hpp>
#include <calyx/modules/loader.hpp>

#include <boost/dll/library_info.hpp>
#include <doctest/doctest.h>

using namespace calyx;
using calyx::modules::ModuleLoader;
using calyx::testing::fixture_module;

namespace {

// Loads `fixture` and returns the refusal message with the file's path taken off.
std::string refusal(const std::string& fixture) {
  ModuleLoader loader(modules::host_api());
  auto loaded = loader.load(fixture_module(fixture));
  REQUIRE_FALSE(loaded.ok());
  std::string message = loaded.error().message();
  std::string prefix = std::filesystem::canonical(fixture_module(fixture)).string() + ": ";
  REQUIRE(message.starts_with(prefix));  // every refusal names its file
  return message.substr(prefix.size());
}

}  // namespace

TEST_CASE("a good module is loaded and everything it declares is copied") {
  ModuleLoader loader(modules::host_api());
  auto loaded = loader.load(fixture_module("good_alpha"));
  REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message()));
  const auto& m = **loaded;
  CHECK(m.code == "alpha");
  CHECK(m.name == "Alpha");
  CHECK(m.description == "A fixture module with everything");
  CHECK(m.version.to_string() == "1.2.0");
  CHECK(m.main_route == "/alpha");
  CHECK(m.abi_major == CALYX_ABI_VERSION_MAJOR);
  CHECK(m.abi_minor == CALYX_ABI_VERSION_MINOR);
  CHECK(m.sdk_version == "1.1.0");
  CHECK(m.file == std::filesystem::canonical(fixture_module("good_alpha")).string());
  REQUIRE(m.routes.size() == 4);
  CHECK(m.routes[0].method == "GET");
  CHECK(m.routes[0].pattern == "/alpha/hello");
  CHECK(m.routes[0].is_public());
  CHECK(m.routes[1].permission == "alpha.items.view");
  CHECK_FALSE(m.routes[1].is_public());
  REQUIRE(m.roles.size() == 2);
  CHECK(m.roles[1].code == "alpha.editor");
  CHECK(m.roles[1].permissions == std::vector<std::string>{"alpha.items.view", "alpha.items.edit"});
  REQUIRE(m.migrations.size() == 1);
  CHECK(m.migrations[0].label() == "0001_create_items");
  CHECK(m.migrations[0].postgresql_sql == m.migrations[0].sqlite_sql);
  REQUIRE(m.menu_items.size() == 1);
  CHECK(m.menu_items[0].icon == "hero-home");
  REQUIRE(m.sidebar_menu.size() == 1);
  CHECK(m.sidebar_menu[0].path == "/alpha/items");
  REQUIRE(m.widgets.size() == 1);
  CHECK(m.widgets[0].permission == "alpha.items.view");
  REQUIRE(m.hooks.size() == 1);
  CHECK(m.hooks[0].point == "greeting");
  REQUIRE(m.job_workers.size() == 1);
  CHECK(m.job_workers[0].queue == "default");

  auto again = loader.load(fixture_module("good_alpha"));
  REQUIRE(again.ok());
  CHECK(again->get() == loaded->get());  // each file is loaded once
}

TEST_CASE("a module library exports nothing but its entry symbol") {
  boost::dll::library_info info(fixture_module("good_alpha"));
  CHECK(info.symbols() == std::vector<std::string>{CALYX_MODULE_ENTRY_NAME});
}

TEST_CASE("a file that is not a shared library is refused") {
  CHECK(refusal("not_a_library") == "not a shared library (no ELF header)");
}

TEST_CASE("a library without the entry symbol is refused") {
  CHECK(refusal("missing_entry") ==
        "missing entry symbol calyx_module_v1: not a Calyx module (built without CALYX_MODULE?)");
}

TEST_CASE("a module for another ABI major is refused") {
  CHECK(refusal("abi_v2_entry") ==
        "ABI major mismatch: the module exports calyx_module_v2 but this host speaks ABI 1 (calyx_module_v1)");
  CHECK(refusal("major_in_magic") ==
        "ABI major mismatch: the module was built for ABI 2.0, this host speaks ABI 1.1");
}

TEST_CASE("a module for a newer ABI minor is refused") {
  CHECK(refusal("minor_too_new") ==
        "ABI minor too new: the module was built for ABI 1.2, this host speaks ABI 1.1; upgrade the host");
}

TEST_CASE("a module whose structs are too small is refused") {
  CHECK(refusal("bad_struct_size") == "bad struct size: calyx_module_magic is 8 bytes, ABI 1.0 needs at least " +
                                          std::to_string(sizeof(calyx_module_magic)));
  CHECK(refusal("bad_module_struct") == "bad struct size: calyx_module is 16 bytes, ABI 1.0 needs at least " +
                                            std::to_string(sizeof(calyx_module)));
}

TEST_CASE("a module whose init fails is refused with its message") {
  CHECK(refusal("init_fails") == "init failed (status 1): cannot find its license file");
}

TEST_CASE("discovery loads every .so of a directory in name order and reports each") {
  testing::ModulesDir dir({"good_beta", "good_alpha", "missing_entry"});
  ModuleLoader loader(modules::host_api());
  auto outcomes = loader.discover(dir.path());
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].file.ends_with("good_alpha.so"));
  CHECK(outcomes[0].module.ok());
  CHECK(outcomes[1].module.ok());
  CHECK_FALSE(outcomes[2].module.ok());
  CHECK(loader.discover(dir.path() / "nope").empty());
}
