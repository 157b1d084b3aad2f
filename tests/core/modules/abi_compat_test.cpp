// A module built by a third party against an older minor of ABI 1 keeps working in this host: the fixture
// abi_1_0.c is compiled against the released 1.0 header (pinned in abi_layout_test.cpp), so every struct it
// exchanges has its 1.0 size. It is loaded, migrated and called like any module, on both databases.
#include "support/fixture_modules.hpp"
#include "support/tenancy_world.hpp"

#include <calyx/modules/loader.hpp>

#include <doctest/doctest.h>

using namespace calyx;
using calyx::tenancy::Isolation;
using calyx::testing::TenancyWorld;
using calyx::testing::TestDatabase;

static_assert(CALYX_ABI_VERSION_MAJOR == 1 && CALYX_ABI_VERSION_MINOR >= 1, "this host is newer than the fixture's 1.0");

TEST_CASE("a module built against ABI 1.0 loads in this host") {
  modules::ModuleLoader loader(modules::host_api());
  auto loaded = loader.load(testing::fixture_module("abi_1_0"));
  REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message()));
  CHECK((*loaded)->code == "legacy");
  CHECK((*loaded)->abi_major == 1);
  CHECK((*loaded)->abi_minor == 0);
  CHECK((*loaded)->sdk_version == "1.0.0");
  REQUIRE((*loaded)->routes.size() == 2);
  CHECK_FALSE((*loaded)->routes[0].never_blocks());  // 1.0 had no such flag: its routes may block
}

TEST_CASE("a module built against ABI 1.0 is migrated, called and confined like any other, on both databases") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    REQUIRE(world.registry->find("legacy"));
    auto acme = world.tenants->create({"acme", "Acme", Isolation::isolated, {}, "", "", {"legacy"}});
    REQUIRE_MESSAGE(acme.ok(), (acme.ok() ? "" : acme.error().message()));
    auto globex = world.tenants->create({"globex", "Globex", Isolation::shared, {}, "", "", {"legacy"}});
    REQUIRE_MESSAGE(globex.ok(), (globex.ok() ? "" : globex.error().message()));

    auto stored = world.call(*acme, "POST", "/legacy/notes", "written by a 1.0 module");
    REQUIRE_MESSAGE(stored.status == CALYX_OK, stored.error);
    CHECK(stored.response.status == 201);
    CHECK(stored.response.body == "stored\n");
    CHECK(world.call(*acme, "GET", "/legacy/notes").response.body ==
          "tenant acme (" + std::to_string(acme->id) + ")\n1: written by a 1.0 module\n");
    CHECK(world.call(*globex, "GET", "/legacy/notes").response.body ==
          "tenant globex (" + std::to_string(globex->id) + ")\n");
  });
}
