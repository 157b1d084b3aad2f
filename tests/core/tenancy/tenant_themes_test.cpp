// Themes, images, language, domains and names as Tenancy stores them, on both databases: validated, all or
// nothing, inherited by child tenants, and every change moving the version that running hosts watch.
#include "support/tenancy_world.hpp"

#include <calyx/tenancy/tenancy.hpp>

#include <doctest/doctest.h>

using namespace calyx;
using calyx::testing::TenancyWorld;
using calyx::testing::TestDatabase;

namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "a tiny image";

}  // namespace

TEST_CASE("a theme is stored validated and whole; a refused field keeps the old theme, naming every refusal") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme");
    auto before = world.tenants->version().value();
    REQUIRE(world.tenants->set_theme("acme", {{"primary_color", "#ABC"}, {"company_name", "Acme <Inc>"}}).ok());
    CHECK(world.tenants->version().value() > before);
    auto acme = world.reload("acme");
    CHECK(acme.theme == themes::Values{{"primary_color", "#abc"}, {"company_name", "Acme <Inc>"}});
    CHECK(acme.effective_theme.get("primary_color") == "#abc");
    CHECK(acme.effective_theme.get("accent_color") == "#f43f5e");

    auto refused = world.tenants->set_theme("acme", {{"primary_color", "#123456"}, {"accent_color", "blue"},
                                                     {"logo_url", "javascript:alert(1)"}});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message().find("Accent colour") != std::string::npos);
    CHECK(refused.error().message().find("Logo") != std::string::npos);
    CHECK(world.reload("acme").theme.at("primary_color") == "#abc");  // nothing of the refused theme was kept

    REQUIRE(world.tenants->set_theme("acme", {}).ok());  // everything unset: the defaults again
    CHECK(world.reload("acme").effective_theme.get("primary_color") == "#6366f1");
    CHECK(world.tenants->set_theme("nobody", {}).error().message() == "no tenant 'nobody'");
  });
}

TEST_CASE("child tenants inherit each field they leave unset from their parent, and their parent's parent") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("holding");
    REQUIRE(world.tenants->create({"brand", "Brand", tenancy::Isolation::isolated, {}, "holding", "", {}}).ok());
    REQUIRE(world.tenants->create({"store", "Store", tenancy::Isolation::shared, {}, "brand", "", {}}).ok());
    REQUIRE(world.tenants->set_theme("holding", {{"primary_color", "#111111"}, {"font_family", "Inter"}}).ok());
    REQUIRE(world.tenants->set_theme("brand", {{"primary_color", "#222222"}}).ok());
    REQUIRE(world.tenants->set_theme("store", {{"accent_color", "#333333"}}).ok());
    // One tenant read alone, and every tenant listed, resolve alike.
    auto store = world.reload("store");
    CHECK(store.effective_theme.get("accent_color") == "#333333");
    CHECK(store.effective_theme.get("primary_color") == "#222222");
    CHECK(store.effective_theme.get("font_family") == "Inter");
    auto all = world.tenants->list();
    REQUIRE(all.ok());
    for (const auto& tenant : *all) {
      if (tenant.slug == "store") CHECK(tenant.effective_theme.etag == store.effective_theme.etag);
    }
    // A change to the grandparent reaches the grandchild.
    REQUIRE(world.tenants->set_theme("holding", {{"primary_color", "#111111"}, {"font_family", "Lato"}}).ok());
    CHECK(world.reload("store").effective_theme.get("font_family") == "Lato");
    CHECK(world.reload("store").effective_theme.etag != store.effective_theme.etag);
  });
}

TEST_CASE("an uploaded image is stored with the type its bytes show and the field points at it") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme");
    world.create("globex");
    auto url = world.tenants->put_theme_image("acme", "logo_url", kPng);
    REQUIRE_MESSAGE(url.ok(), (url.ok() ? "" : url.error().message()));
    CHECK(url->starts_with("/theme/files/logo_url?v="));
    CHECK(world.reload("acme").theme.at("logo_url") == *url);
    auto image = world.tenants->theme_image(acme.id, "logo_url");
    REQUIRE(image.ok());
    CHECK(image->content == kPng);  // every byte back, NULs and high bytes included
    CHECK(image->content_type == "image/png");
    // Another upload replaces it, with another address.
    auto second = world.tenants->put_theme_image("acme", "logo_url", "GIF89a and more");
    REQUIRE(second.ok());
    CHECK(*second != *url);
    CHECK(world.tenants->theme_image(acme.id, "logo_url")->content_type == "image/gif");
    // Refusals keep what was there.
    CHECK(world.tenants->put_theme_image("acme", "logo_url", "<svg onload=alert(1)>").error().message().find("SVG") !=
          std::string::npos);
    CHECK(world.tenants->put_theme_image("acme", "company_name", kPng).error().message() ==
          "'company_name' does not take an image");
    CHECK(world.tenants->theme_image(acme.id, "logo_url")->content_type == "image/gif");
    CHECK(world.tenants->theme_image(acme.id, "favicon_url").error().message() == "no favicon_url image");
    CHECK_FALSE(world.tenants->theme_image(world.reload("globex").id, "logo_url").ok());  // another tenant's: none
  });
}

TEST_CASE("custom JavaScript permission and the workspace language") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme");
    CHECK_FALSE(world.reload("acme").allow_custom_js);
    REQUIRE(world.tenants->set_custom_js_allowed("acme", true).ok());
    CHECK(world.reload("acme").allow_custom_js);
    CHECK(world.reload("acme").locale == "en");
    REQUIRE(world.tenants->set_locale("acme", "pt-BR").ok());
    CHECK(world.reload("acme").locale == "pt-BR");
    CHECK(world.tenants->set_locale("acme", "fr").error().message() == "'fr' is not a supported language (en, pt-BR)");
  });
}

TEST_CASE("domains after creation: added normalized and unique, the last never removed, one primary") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme", {"acme.example"});
    world.create("globex", {"globex.example"});
    REQUIRE(world.tenants->add_domain("acme", "WWW.Acme.Example:8080").ok());
    CHECK(world.reload("acme").domains == std::vector<std::string>{"acme.example", "www.acme.example"});
    CHECK(world.tenants->add_domain("acme", "globex.example").error().message() ==
          "domain 'globex.example' belongs to another workspace");
    CHECK(world.tenants->add_domain("acme", "acme.example").error().message() ==
          "'acme.example' is already one of this workspace's domains");
    CHECK_FALSE(world.tenants->add_domain("acme", "bad_host!").ok());
    REQUIRE(world.tenants->set_primary_domain("acme", "www.acme.example").ok());
    CHECK(world.reload("acme").domains.front() == "www.acme.example");
    REQUIRE(world.tenants->remove_domain("acme", "www.acme.example").ok());  // the primary: the other takes over
    CHECK(world.reload("acme").domains == std::vector<std::string>{"acme.example"});
    CHECK(world.tenants->remove_domain("acme", "acme.example").error().message().find("at least one domain") !=
          std::string::npos);
    CHECK(world.tenants->remove_domain("acme", "globex.example").error().message() ==
          "'globex.example' is not one of this workspace's domains");
  });
}

TEST_CASE("workspace settings: name, language and sign-up checked first, stored together or not at all") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    world.create("acme");
    REQUIRE(world.tenants->set_workspace_settings("acme", {"  Acme Worldwide ", "pt-BR", true}).ok());
    auto acme = world.reload("acme");
    CHECK(acme.name == "Acme Worldwide");
    CHECK(acme.locale == "pt-BR");
    CHECK(acme.allow_signup);
    auto refused = [&](tenancy::Tenancy::WorkspaceSettings settings) {
      auto outcome = world.tenants->set_workspace_settings("acme", settings);
      REQUIRE_FALSE(outcome.ok());
      auto after = world.reload("acme");  // nothing of the refused settings was kept
      CHECK(after.name == "Acme Worldwide");
      CHECK(after.locale == "pt-BR");
      CHECK(after.allow_signup);
      return outcome.error().message();
    };
    CHECK(refused({"   ", "en", false}) == "a workspace name has 1 to 120 characters");
    CHECK(refused({std::string(121, 'a'), "en", false}) == "a workspace name has 1 to 120 characters");
    CHECK(refused({"A\nB", "en", false}).find("control characters") != std::string::npos);
    CHECK(refused({"Renamed", "fr", false}) == "'fr' is not a supported language (en, pt-BR)");
  });
}
