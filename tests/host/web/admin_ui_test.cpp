// The web UI over real HTTP on both databases: the themed stylesheet and its ETag, assets from the binary, the
// CSP, the admin pages' access rules, the theme editor and image uploads, modules/domains/settings, the
// dashboard's widgets, flash messages, languages, and the platform pages.
#include "support/browser.hpp"
#include "support/front_world.hpp"

#include <doctest/doctest.h>

#include <regex>

using namespace calyx;
using calyx::testing::Browser;
using calyx::testing::FrontWorld;
using calyx::testing::http_request;
using calyx::testing::HttpResponse;
using calyx::testing::kPassword;
using calyx::testing::TestDatabase;

namespace {

struct Team {
  explicit Team(FrontWorld& world)
      : owner(world.member("owner@acme.test", "acme", orgs::TenantRole::owner)),
        member(world.member("member@acme.test", "acme", orgs::TenantRole::member)),
        reader(world.member("reader@acme.test", "acme", orgs::TenantRole::member, "blog.viewer")),
        platform(world.person("root@platform.test", true)) {}
  std::int64_t owner, member, reader, platform;
};

Browser signed_in(FrontWorld& world, const std::string& email, const std::string& host = "acme.localhost") {
  Browser browser(world, host);
  auto response = browser.sign_in(email, kPassword);
  REQUIRE(response.status == 303);
  return browser;
}

// A form post from a page of the browser's session (its CSRF token taken from `page`).
HttpResponse post(Browser& browser, const std::string& path, const std::string& form, const std::string& page) {
  std::string csrf = Browser::csrf_of(browser.request("GET", page));
  REQUIRE(csrf.size() == 64);
  return browser.request("POST", path, "_csrf=" + csrf + (form.empty() ? "" : "&" + form));
}

std::string multipart(const std::string& boundary, const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::string& file_name, const std::string& file_type, const std::string& file) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file_name +
          "\"\r\nContent-Type: " + file_type + "\r\n\r\n" + file + "\r\n--" + boundary + "--\r\n";
  return body;
}

}  // namespace

TEST_CASE("/theme.css is the tenant's theme with an ETag; 304 while unchanged, the new theme the moment it changes") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    auto first = world.get("acme.localhost", "/theme.css");
    REQUIRE(first);
    CHECK(first->status == 200);
    CHECK(first->headers["content-type"] == "text/css; charset=utf-8");
    CHECK(first->headers["cache-control"] == "no-cache");
    CHECK(first->body.find("--color-primary: #6366f1;") != std::string::npos);
    std::string etag = first->headers["etag"];
    REQUIRE(etag.size() > 2);
    auto again = http_request(world.server->port(), "GET", "/theme.css", "If-None-Match: " + etag + "\r\n", "", "acme.localhost");
    CHECK(again->status == 304);
    CHECK(again->body.empty());

    REQUIRE(world.tenancy->set_theme("acme", {{"primary_color", "#1d4ed8"}, {"custom_css", ".card { border-width: 3px; }"}}).ok());
    REQUIRE(world.directory->refresh().ok());
    auto changed = http_request(world.server->port(), "GET", "/theme.css", "If-None-Match: " + etag + "\r\n", "", "acme.localhost");
    CHECK(changed->status == 200);
    CHECK(changed->headers["etag"] != etag);
    CHECK(changed->body.find("--color-primary: #1d4ed8;") != std::string::npos);
    CHECK(changed->body.find(".card { border-width: 3px; }") != std::string::npos);
    // Other tenants, unknown hosts and the platform keep the default theme.
    CHECK(world.get("globex.localhost", "/theme.css")->body.find("--color-primary: #6366f1;") != std::string::npos);
    CHECK(world.get("nobody.localhost", "/theme.css")->body.find("--color-primary: #6366f1;") != std::string::npos);
    // Pages link the stylesheet by its version, so browsers fetch a new one when the theme changes.
    auto page = world.get("acme.localhost", "/sign-in");
    CHECK(page->body.find("/theme.css?v=" + changed->headers["etag"].substr(1, changed->headers["etag"].size() - 2)) !=
          std::string::npos);
    // Custom JavaScript is served only where a platform admin allowed it.
    REQUIRE(world.tenancy->set_theme("acme", {{"custom_js", "console.log(1)"}}).ok());
    REQUIRE(world.directory->refresh().ok());
    CHECK(world.get("acme.localhost", "/theme.js")->status == 404);
    CHECK(world.get("acme.localhost", "/sign-in")->body.find("/theme.js") == std::string::npos);
    REQUIRE(world.tenancy->set_custom_js_allowed("acme", true).ok());
    REQUIRE(world.directory->refresh().ok());
    auto script = world.get("acme.localhost", "/theme.js");
    CHECK(script->status == 200);
    CHECK(script->headers["content-type"] == "text/javascript; charset=utf-8");
    CHECK(script->body == "console.log(1)");
    CHECK(world.get("acme.localhost", "/")->body.find(R"(<script src="/theme.js?v=)") != std::string::npos);
    // Never where passwords are typed, nor on error pages' card, nor for a suspended workspace.
    CHECK(world.get("acme.localhost", "/sign-in")->body.find("/theme.js") == std::string::npos);
    CHECK(world.get("acme.localhost", "/password/forgot")->body.find("/theme.js") == std::string::npos);
    REQUIRE(world.tenancy->set_status("acme", tenancy::TenantStatus::suspended).ok());
    REQUIRE(world.directory->refresh().ok());
    CHECK(world.get("acme.localhost", "/theme.js")->status == 404);
  });
}

TEST_CASE("assets come from the binary: versioned URLs cached for a year, others revalidated, unknown ones 404") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    auto page = world.get("acme.localhost", "/sign-in");
    std::smatch css;
    REQUIRE(std::regex_search(page->body, css, std::regex(R"re(href="(/assets/app\.css\?v=[0-9a-f]+)")re")));
    auto versioned = world.get("acme.localhost", css[1].str());
    CHECK(versioned->status == 200);
    CHECK(versioned->headers["content-type"] == "text/css; charset=utf-8");
    CHECK(versioned->headers["cache-control"] == "public, max-age=31536000, immutable");
    CHECK(versioned->body.find(".btn") != std::string::npos);            // Tailwind built our components
    CHECK(versioned->body.find("--color-primary-rgb") != std::string::npos);  // themed through variables
    CHECK(world.get("localhost", "/assets/app.css")->headers["cache-control"] == "no-cache");
    for (const char* script : {"/assets/alpine.js", "/assets/htmx.js", "/assets/calyx.js"}) {
      auto response = world.get("globex.localhost", script);
      CHECK(response->status == 200);
      CHECK(response->headers["content-type"] == "text/javascript; charset=utf-8");
    }
    CHECK(world.get("acme.localhost", "/assets/nope.js")->status == 404);
    CHECK(world.get("acme.localhost", "/assets/icons.json")->status == 404);  // used inside pages only
  });
}

TEST_CASE("every page forbids inline script; error pages wear the tenant's theme") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    REQUIRE(world.tenancy->set_theme("acme", {{"company_name", "Acme <Brand>"}}).ok());
    REQUIRE(world.directory->refresh().ok());
    auto page = world.get("acme.localhost", "/sign-in");
    std::string csp = page->headers["content-security-policy"];
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("style-src 'self'") != std::string::npos);
    CHECK(csp.find("unsafe") == std::string::npos);
    CHECK(page->body.find("<script>") == std::string::npos);
    CHECK(page->body.find(R"(class="login-background)") != std::string::npos);  // the auth card over the sign-in background
    CHECK(page->body.find(" style=") == std::string::npos);
    auto missing = world.get("acme.localhost", "/no/such/page");
    CHECK(missing->status == 404);
    CHECK(missing->body.find("/theme.css?v=") != std::string::npos);
    CHECK(missing->body.find("Acme &lt;Brand&gt;") != std::string::npos);
    CHECK(missing->body.find("<Brand>") == std::string::npos);
    REQUIRE(world.tenancy->set_status("acme", tenancy::TenantStatus::suspended).ok());
    REQUIRE(world.directory->refresh().ok());
    auto suspended = world.get("acme.localhost", "/");
    CHECK(suspended->status == 403);
    CHECK(suspended->body.find("Acme &lt;Brand&gt;") != std::string::npos);
    CHECK(world.get("acme.localhost", "/theme.css")->status == 200);  // its error page still has its theme
  });
}

TEST_CASE("admin pages: owners manage, members get 403, visitors sign in first, platform pages for platform admins") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto anonymous = world.get("acme.localhost", "/admin/theme");
    CHECK(anonymous->status == 303);
    CHECK(anonymous->headers["location"] == "/sign-in?next=/admin/theme");
    auto member = signed_in(world, "member@acme.test");
    for (const char* path : {"/admin/theme", "/admin/members", "/admin/modules", "/admin/domains", "/admin/settings",
                             "/platform/tenants", "/platform/modules", "/platform/audit"}) {
      CAPTURE(path);
      CHECK(member.request("GET", path).status == 403);
    }
    auto owner = signed_in(world, "owner@acme.test");
    for (const char* path : {"/admin/theme", "/admin/members", "/admin/modules", "/admin/domains", "/admin/settings"}) {
      CAPTURE(path);
      CHECK(owner.request("GET", path).status == 200);
    }
    CHECK(owner.request("GET", "/platform/tenants").status == 403);
    // The owner's sidebar shows the admin entries; the member's does not.
    CHECK(owner.request("GET", "/").body.find(R"(href="/admin/theme")") != std::string::npos);
    CHECK(member.request("GET", "/").body.find(R"(href="/admin/theme")") == std::string::npos);
    // An owner of acme is nobody on globex.
    Browser elsewhere(world, "globex.localhost");
    elsewhere.cookies = owner.cookies;
    CHECK(elsewhere.request("GET", "/admin/theme").status == 303);
    // State changes need the session's CSRF token.
    CHECK(owner.request("POST", "/admin/theme", "primary_color=%23000000").status == 403);
    auto root = signed_in(world, "root@platform.test", "globex.localhost");
    CHECK(root.request("GET", "/platform/tenants").status == 200);
    CHECK(root.request("GET", "/admin/theme").status == 200);  // platform admins manage any workspace
  });
}

TEST_CASE("the theme editor saves valid fields, refuses bad ones beside their field keeping the input, audits") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto owner = signed_in(world, "owner@acme.test");
    auto saved = post(owner, "/admin/theme", "primary_color=%231D4ED8&company_name=Acme+%26+Co&heading_font=Georgia%2C+serif",
                      "/admin/theme");
    CHECK(saved.status == 303);
    CHECK(saved.headers["location"] == "/admin/theme");
    auto acme = world.tenancy->find("acme").value();
    CHECK(acme.theme == themes::Values{{"company_name", "Acme & Co"}, {"heading_font", "Georgia, serif"},
                                       {"primary_color", "#1d4ed8"}});
    // The next page shows the flash once, and the new theme.
    auto next = owner.request("GET", "/admin/theme");
    CHECK(next.body.find("The theme is saved.") != std::string::npos);
    CHECK(next.body.find("Acme &amp; Co") != std::string::npos);
    CHECK(owner.request("GET", "/admin/theme").body.find("The theme is saved.") == std::string::npos);

    auto refused = post(owner, "/admin/theme",
                        "primary_color=red&logo_url=javascript%3Aalert(1)&company_name=New+name&custom_js=alert(1)",
                        "/admin/theme");
    CHECK(refused.status == 422);
    CHECK(refused.body.find(R"(data-field-error="primary_color")") != std::string::npos);
    CHECK(refused.body.find(R"(data-field-error="logo_url")") != std::string::npos);
    CHECK(refused.body.find(R"(data-field-error="company_name")") == std::string::npos);
    CHECK(refused.body.find(R"re(value="javascript:alert(1)")re") != std::string::npos);  // the input is kept
    CHECK(world.tenancy->find("acme")->theme.at("company_name") == "Acme & Co");     // nothing was saved
    // custom_js is not the tenant admin's until a platform admin allows it: a forged field is ignored.
    CHECK(post(owner, "/admin/theme", "custom_js=alert(1)", "/admin/theme").status == 303);
    CHECK_FALSE(world.tenancy->find("acme")->theme.contains("custom_js"));
    // An empty field unsets (inherits); a field left out keeps its value.
    CHECK(post(owner, "/admin/theme", "primary_color=", "/admin/theme").status == 303);
    CHECK(world.tenancy->find("acme")->theme == themes::Values{{"company_name", "Acme & Co"}, {"heading_font", "Georgia, serif"}});
    auto audit = world.audit->for_tenant(acme.id).value();
    CHECK(std::count_if(audit.begin(), audit.end(), [](const auto& e) { return e.action == "theme.changed"; }) == 3);
  });
}

TEST_CASE("images are uploaded as multipart with the CSRF token, served as their type, and refused when unsafe") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto owner = signed_in(world, "owner@acme.test");
    std::string csrf = Browser::csrf_of(owner.request("GET", "/admin/theme"));
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\x01\x02 binary \r\n-- bytes", 20);
    std::string type = "Content-Type: multipart/form-data; boundary=XyZ\r\n";
    auto uploaded = owner.request("POST", "/admin/theme/upload",
                                  multipart("XyZ", {{"_csrf", csrf}, {"field", "logo_url"}}, "logo.png", "image/png", png), type);
    CHECK(uploaded.status == 303);
    std::string url = world.tenancy->find("acme")->theme.at("logo_url");
    CHECK(url.starts_with("/theme/files/logo_url?v="));
    auto served = world.get("acme.localhost", url);
    CHECK(served->status == 200);
    CHECK(served->headers["content-type"] == "image/png");
    CHECK(served->headers["content-security-policy"] == "default-src 'none'; sandbox");
    CHECK(served->body == png);
    CHECK(world.get("acme.localhost", "/sign-in")->body.find(R"(<img src="/theme/files/logo_url?v=)") != std::string::npos);
    CHECK(world.get("globex.localhost", "/theme/files/logo_url")->status == 404);  // globex has none

    // Refused: SVG (even labelled image/png), no CSRF token, a broken body.
    auto svg = owner.request("POST", "/admin/theme/upload",
                             multipart("XyZ", {{"_csrf", csrf}, {"field", "logo_url"}}, "x.png", "image/png",
                                       "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
                             type);
    CHECK(svg.status == 422);
    CHECK(svg.body.find("SVG can carry script") != std::string::npos);
    CHECK(world.tenancy->find("acme")->theme.at("logo_url") == url);
    CHECK(owner.request("POST", "/admin/theme/upload",
                        multipart("XyZ", {{"field", "logo_url"}}, "logo.png", "image/png", png), type).status == 403);
    // A body that is not well-formed multipart: its token cannot be read from it (403); with the token in the
    // header, the form itself is refused (400).
    std::string broken = "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + csrf + "\r\n--XyZ\r\nno end";
    CHECK(owner.request("POST", "/admin/theme/upload", broken, type).status == 403);
    CHECK(owner.request("POST", "/admin/theme/upload", broken, type + "X-CSRF-Token: " + csrf + "\r\n").status == 400);
    auto wrong_field = owner.request("POST", "/admin/theme/upload",
                                     multipart("XyZ", {{"_csrf", csrf}, {"field", "custom_css"}}, "a.png", "image/png", png), type);
    CHECK(wrong_field.status == 400);
  });
}

TEST_CASE("modules, domains and settings from the tenant admin pages") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto owner = signed_in(world, "owner@acme.test");
    auto modules = owner.request("GET", "/admin/modules");
    CHECK(modules.body.find(R"(data-module="blog")") != std::string::npos);
    CHECK(post(owner, "/admin/modules", "module=blog&action=disable", "/admin/modules").status == 303);
    CHECK(world.get("acme.localhost", "/blog")->status == 404);
    CHECK(owner.request("GET", "/").body.find(R"(href="/blog/editor")") == std::string::npos);
    CHECK(post(owner, "/admin/modules", "module=blog&action=enable", "/admin/modules").status == 303);
    CHECK(world.get("acme.localhost", "/blog")->status == 200);
    CHECK(post(owner, "/admin/modules", "module=nope&action=enable", "/admin/modules").status == 422);
    // Dependencies are shown, and turning a module on turns on what it needs.
    auto beta = modules.body.substr(modules.body.find(R"(data-module="beta")"));
    CHECK(beta.substr(0, beta.find("</li>")).find("Needs: alpha") != std::string::npos);
    CHECK(post(owner, "/admin/modules", "module=beta&action=enable", "/admin/modules").status == 303);
    auto enabled = world.tenancy->find("acme")->modules;
    CHECK(std::find(enabled.begin(), enabled.end(), "alpha") != enabled.end());
    CHECK(std::find(enabled.begin(), enabled.end(), "beta") != enabled.end());

    CHECK(post(owner, "/admin/domains", "action=add&domain=Portal.Acme.Example", "/admin/domains").status == 303);
    CHECK(world.get("portal.acme.example", "/theme.css")->status == 200);
    CHECK(world.get("portal.acme.example", "/blog")->status == 200);  // the new domain reaches acme at once
    // The platform's addresses are nobody's to claim: another workspace's <slug>.<base>, the base, IPs.
    for (const char* taken : {"globex.localhost", "localhost", "127.0.0.1"}) {
      CAPTURE(taken);
      CHECK(post(owner, "/admin/domains", std::string("action=add&domain=") + taken, "/admin/domains").status == 422);
    }
    CHECK(world.get("globex.localhost", "/admin/theme")->status == 303);  // still globex's
    auto bad = post(owner, "/admin/domains", "action=add&domain=not+a+host", "/admin/domains");
    CHECK(bad.status == 422);
    CHECK(bad.body.find(R"(data-error)") != std::string::npos);

    CHECK(post(owner, "/admin/settings", "name=Acme+Global&locale=pt-BR&support_email=ceo%40bank.example&allow_signup=on",
               "/admin/settings").status == 303);
    auto acme = world.tenancy->find("acme").value();
    CHECK(acme.name == "Acme Global");
    CHECK(acme.locale == "pt-BR");
    CHECK(acme.support_email.empty());  // the sender is the operator's to set, not a tenant admin's
    CHECK(acme.allow_signup);
    CHECK(post(owner, "/admin/settings", "name=X&locale=klingon", "/admin/settings").status == 422);
    CHECK(world.tenancy->find("acme")->locale == "pt-BR");  // nothing of the refused form was kept
    CHECK(world.tenancy->find("acme")->name == "Acme Global");
    // The workspace's language is the default for everyone on it.
    CHECK(world.get("acme.localhost", "/no/such/page")->body.find(R"(<html lang="pt-BR")") != std::string::npos);
  });
}

TEST_CASE("members: roles, module roles and removal from the admin page; the last owner stays") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto acme = world.tenancy->find("acme")->id;
    auto owner = signed_in(world, "owner@acme.test");
    auto page = owner.request("GET", "/admin/members");
    CHECK(page.body.find(R"(data-member="reader@acme.test")") != std::string::npos);
    auto id = std::to_string(team.member);
    CHECK(post(owner, "/admin/members", "action=module_roles&user_id=" + id + "&module_role=blog.editor", "/admin/members").status == 303);
    CHECK(world.memberships->of(acme, team.member).value()->module_roles == std::vector<std::string>{"blog.editor"});
    CHECK(post(owner, "/admin/members", "action=role&user_id=" + id + "&role=admin", "/admin/members").status == 303);
    CHECK(world.memberships->of(acme, team.member).value()->role == orgs::TenantRole::admin);
    // An admin manages members but makes no owners and cannot touch an owner.
    auto admin = signed_in(world, "member@acme.test");
    CHECK(post(admin, "/admin/members", "action=role&user_id=" + id + "&role=owner", "/admin/members").status == 422);
    CHECK(post(admin, "/admin/members", "action=remove&user_id=" + std::to_string(team.owner), "/admin/members").status == 422);
    CHECK(post(admin, "/admin/members", "action=invite&email=boss%40acme.test&role=owner", "/admin/members").status == 422);
    CHECK(world.memberships->of(acme, team.member).value()->role == orgs::TenantRole::admin);
    CHECK(world.memberships->of(acme, team.owner).value()->role == orgs::TenantRole::owner);
    auto last_owner = post(owner, "/admin/members", "action=role&user_id=" + std::to_string(team.owner) + "&role=member",
                           "/admin/members");
    CHECK(last_owner.status == 422);
    CHECK(post(owner, "/admin/members", "action=remove&user_id=" + std::to_string(team.reader), "/admin/members").status == 303);
    CHECK_FALSE(world.memberships->of(acme, team.reader).value().has_value());
    // Adding an existing account directly is for platform admins (it would tell a tenant admin who has an
    // account); tenant admins invite by email.
    CHECK(post(owner, "/admin/members", "action=add&email=reader%40acme.test&role=member", "/admin/members").status == 422);
    CHECK_FALSE(world.memberships->of(acme, team.reader).value().has_value());
    auto root = signed_in(world, "root@platform.test");
    CHECK(post(root, "/admin/members", "action=add&email=reader%40acme.test&role=member", "/admin/members").status == 303);
    CHECK(world.memberships->of(acme, team.reader).value().has_value());
    CHECK(post(root, "/admin/members", "action=add&email=stranger%40nowhere.test&role=member", "/admin/members").status == 422);
  });
}

TEST_CASE("the dashboard shows the widgets the member may see, and what modules add through the hook") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto reader = signed_in(world, "reader@acme.test");
    auto dashboard = reader.request("GET", "/");
    CHECK(dashboard.status == 200);
    CHECK(dashboard.body.find(R"(data-widget="blog.recent_posts")") != std::string::npos);
    CHECK(dashboard.body.find(R"(data-widget="notes.hooked")") != std::string::npos);
    CHECK(dashboard.body.find("<p data-hooked>added by a hook</p>") != std::string::npos);
    auto member = signed_in(world, "member@acme.test");  // no blog role: no blog widget
    auto plain = member.request("GET", "/");
    CHECK(plain.body.find(R"(data-widget="blog.recent_posts")") == std::string::npos);
    CHECK(plain.body.find(R"(data-widget="notes.hooked")") != std::string::npos);
    // A visitor sees the workspace's public front page instead.
    auto front = world.get("acme.localhost", "/");
    CHECK(front->status == 200);
    CHECK(front->body.find("data-widget") == std::string::npos);
    CHECK(front->body.find(R"(href="/blog")") != std::string::npos);
  });
}

TEST_CASE("languages: the browser's, then the person's own choice") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto portuguese = http_request(world.server->port(), "GET", "/sign-in", "Accept-Language: pt-BR,pt;q=0.9\r\n", "",
                                   "acme.localhost");
    CHECK(portuguese->body.find(R"(<html lang="pt-BR")") != std::string::npos);
    CHECK(portuguese->body.find("Entrar") != std::string::npos);
    auto member = signed_in(world, "member@acme.test");
    CHECK(post(member, "/account/language", "locale=pt-BR", "/account/language").status == 303);
    CHECK(member.request("GET", "/").body.find("Painel") != std::string::npos);
    CHECK(post(member, "/account/language", "locale=xx", "/account/language").status == 422);
    CHECK(post(member, "/account/language", "locale=en", "/account/language").status == 303);
    CHECK(member.request("GET", "/").body.find("Dashboard") != std::string::npos);
  });
}

TEST_CASE("platform admins create, suspend and delete workspaces from the platform pages") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto root = signed_in(world, "root@platform.test", "globex.localhost");
    CHECK(post(root, "/platform/tenants", "action=create&slug=initech&name=Initech&isolation=shared&domain=initech.example",
               "/platform/tenants").status == 303);
    auto initech = world.tenancy->find("initech");
    REQUIRE(initech.ok());
    CHECK(initech->isolation == tenancy::Isolation::shared);
    CHECK(initech->domains == std::vector<std::string>{"initech.example"});
    auto bad = post(root, "/platform/tenants", "action=create&slug=Bad_Slug&name=X&isolation=isolated", "/platform/tenants");
    CHECK(bad.status == 422);
    CHECK(post(root, "/platform/tenants", "action=suspend&slug=initech", "/platform/tenants").status == 303);
    CHECK(world.get("initech.example", "/")->status == 403);
    CHECK(post(root, "/platform/tenants", "action=activate&slug=initech", "/platform/tenants").status == 303);
    CHECK(post(root, "/platform/tenants", "action=delete&slug=initech", "/platform/tenants").status == 303);
    CHECK(world.get("initech.example", "/")->status == 404);
    CHECK(post(root, "/platform/tenants", "action=delete&slug=globex", "/platform/tenants").status == 422);  // not from itself
    CHECK(root.request("GET", "/platform/modules").body.find(R"(data-catalog="blog")") != std::string::npos);
    CHECK(root.request("GET", "/platform/audit").body.find("platform.tenant_create") != std::string::npos);
  });
}

TEST_CASE("the workspace's emails wear its theme: an HTML alternative in its colours beside the text") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    REQUIRE(world.tenancy->set_theme("acme", {{"primary_color", "#c2410c"}, {"company_name", "Acme Rockets"}}).ok());
    REQUIRE(world.directory->refresh().ok());
    Browser browser(world, "acme.localhost");
    auto form = browser.request("GET", "/password/forgot");
    auto sent = browser.request("POST", "/password/forgot", "_csrf=" + Browser::csrf_of(form) + "&email=member%40acme.test");
    CHECK(sent.status == 200);
    auto mail = world.outbox->latest(1).value();
    REQUIRE(mail.size() == 1);
    CHECK(mail[0].body.find("/password/reset?token=") != std::string::npos);
    CHECK(mail[0].html.find("border-top:4px solid #c2410c") != std::string::npos);
    CHECK(mail[0].html.find("Acme Rockets") != std::string::npos);
    CHECK(mail[0].html.find(R"(<a href="http://acme.test)") != std::string::npos);  // the link, clickable
    // A Host header cannot move the link to another site.
    Browser forged(world, "acme.test:@evil.example");
    auto forged_form = forged.request("GET", "/password/forgot");
    REQUIRE(forged_form.status == 200);
    forged.request("POST", "/password/forgot", "_csrf=" + Browser::csrf_of(forged_form) + "&email=member%40acme.test");
    auto latest = world.outbox->latest(1).value();
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].body.find("evil.example") == std::string::npos);
    CHECK(latest[0].body.find("http://acme.test/password/reset?token=") != std::string::npos);
  });
}

TEST_CASE("invitations by email: a new person creates their account from the link; an existing one signs in and accepts") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto acme = world.tenancy->find("acme")->id;
    auto owner = signed_in(world, "owner@acme.test");
    auto token_in_latest_mail = [&] {
      auto mail = world.outbox->latest(1).value();
      REQUIRE(mail.size() == 1);
      std::smatch match;
      REQUIRE(std::regex_search(mail[0].body, match, std::regex("/join\\?token=([0-9a-f]+)")));
      CHECK(mail[0].html.find("/join?token=") != std::string::npos);
      return match[1].str();
    };

    // Someone without an account.
    CHECK(post(owner, "/admin/members", "action=invite&email=New%40Acme.test&role=admin", "/admin/members").status == 303);
    auto members = owner.request("GET", "/admin/members");
    CHECK(members.body.find(R"(data-invitation="new@acme.test")") != std::string::npos);
    std::string token = token_in_latest_mail();
    Browser newcomer(world, "acme.localhost");
    CHECK(newcomer.request("POST", "/join", "token=" + token + "&password=long+enough+pass").status == 403);  // no form token
    auto form = newcomer.request("GET", "/join?token=" + token);
    CHECK(form.status == 200);
    CHECK(form.body.find("new@acme.test") != std::string::npos);
    auto joined = newcomer.request("POST", "/join",
                                   "_csrf=" + Browser::csrf_of(form) + "&token=" + token + "&name=New&password=long+enough+pass");
    CHECK(joined.status == 303);
    CHECK(newcomer.cookies.contains("calyx_session"));
    auto user = world.accounts->find_user("new@acme.test");
    REQUIRE(user.ok());
    CHECK(world.memberships->of(acme, user->id).value()->role == orgs::TenantRole::admin);
    CHECK(newcomer.request("GET", "/admin/theme").status == 200);  // an admin now
    auto used = newcomer.request("GET", "/join?token=" + token);  // used once
    CHECK(used.status == 404);
    CHECK(used.body.find("not valid any more") != std::string::npos);

    // Someone with an account: they sign in as the invited address, then accept.
    REQUIRE(world.memberships->remove(acme, team.reader).ok());
    CHECK(post(owner, "/admin/members", "action=invite&email=reader%40acme.test&role=member", "/admin/members").status == 303);
    token = token_in_latest_mail();
    Browser reader(world, "acme.localhost");
    auto ask = reader.request("GET", "/join?token=" + token);
    CHECK(ask.body.find("/sign-in?next=%2Fjoin%3Ftoken%3D" + token) != std::string::npos);
    auto other = signed_in(world, "member@acme.test");  // the wrong person cannot take it
    auto wrong = post(other, "/join", "token=" + token, "/join?token=" + token);
    CHECK(wrong.status == 403);
    CHECK(wrong.body.find("this invitation is for reader@acme.test") != std::string::npos);
    auto right = signed_in(world, "reader@acme.test");
    CHECK(post(right, "/join", "token=" + token, "/join?token=" + token).status == 303);
    CHECK(world.memberships->of(acme, team.reader).value().has_value());

    // Revoked and foreign links are refused; a member cannot be invited again.
    CHECK(post(owner, "/admin/members", "action=invite&email=late%40acme.test&role=member", "/admin/members").status == 303);
    token = token_in_latest_mail();
    CHECK(world.get("globex.localhost", "/join?token=" + token)->status == 404);  // another workspace's link
    auto pending = world.invitations->pending(acme).value();
    REQUIRE(pending.size() == 1);
    CHECK(post(owner, "/admin/members", "action=revoke_invitation&invitation=" + std::to_string(pending[0].id),
               "/admin/members").status == 303);
    CHECK(world.get("acme.localhost", "/join?token=" + token)->status == 404);
    CHECK(post(owner, "/admin/members", "action=invite&email=member%40acme.test&role=member", "/admin/members").status == 422);
    auto audit = world.audit->for_tenant(acme).value();
    CHECK(std::count_if(audit.begin(), audit.end(), [](const auto& e) { return e.action == "member.joined"; }) == 2);
  });
}

TEST_CASE("module pages: members' routes in the app layout, public ones in the site layout, fragments alone when asked") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    Team team(world);
    auto site = world.get("acme.localhost", "/blog");
    CHECK(site->body.find("<header") != std::string::npos);       // the site layout
    CHECK(site->body.find("data-sidebar") == std::string::npos);
    auto owner = signed_in(world, "owner@acme.test");
    REQUIRE(world.memberships->grant_module_role(world.tenancy->find("acme")->id, team.owner, "blog.editor").ok());
    auto app = owner.request("GET", "/blog/editor");
    CHECK(app.body.find("data-sidebar") != std::string::npos);    // the app layout
    CHECK(app.body.find(R"(aria-current="page")") != std::string::npos);
    // htmx asking for the table alone gets the fragment, not the page; the response varies on it.
    auto partial = owner.request("GET", "/blog/editor?sort=title", "", "HX-Request: true\r\n");
    CHECK(partial.body.starts_with("<div class=\"mb-4"));
    CHECK(partial.body.find("<!doctype") == std::string::npos);
    CHECK(partial.headers["vary"] == "HX-Request");
    // Modules speak the page's language: Request::locale() (Blog, its DataTable, its widget).
    auto portuguese = owner.request("GET", "/blog/editor", "", "Accept-Language: pt-BR\r\n");
    CHECK(portuguese.body.find("Novo post") != std::string::npos);
    CHECK(portuguese.body.find("Filtrar") != std::string::npos);
    CHECK(portuguese.body.find("Situação") != std::string::npos);
    auto forged = owner.request("GET", "/blog/editor", "", "X-Calyx-Locale: pt-BR\r\n");  // the host's word, not the client's
    CHECK(forged.body.find("Novo post") == std::string::npos);
    auto dashboard = owner.request("GET", "/", "", "Accept-Language: pt-BR\r\n");
    CHECK(dashboard.body.find("Posts recentes") != std::string::npos);
    CHECK(dashboard.body.find("Nenhum post publicado ainda.") != std::string::npos);
    // A route declared without layout.
    auto fragment = world.get("acme.localhost", "/notes/fragment");
    CHECK(fragment->body == "<p data-fragment>alone</p>");
  });
}

TEST_CASE("a child workspace wears its parent's theme where it sets nothing, its uploaded logo included") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    REQUIRE(world.tenancy->create({"acme-eu", "Acme EU", tenancy::Isolation::shared, {}, "acme", "", {}}).ok());
    REQUIRE(world.tenancy->set_theme("acme", {{"primary_color", "#c2410c"}, {"company_name", "Acme Group"}}).ok());
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "parent logo";
    auto url = world.tenancy->put_theme_image("acme", "logo_url", png);
    REQUIRE(url.ok());
    REQUIRE(world.tenancy->set_theme("acme-eu", {{"company_name", "Acme Europe"}}).ok());
    REQUIRE(world.directory->refresh().ok());
    auto css = world.get("acme-eu.localhost", "/theme.css");
    CHECK(css->body.find("--color-primary: #c2410c;") != std::string::npos);
    auto page = world.get("acme-eu.localhost", "/sign-in");
    CHECK(page->body.find("Acme Europe") != std::string::npos);
    CHECK(page->body.find(R"(<img src=")" + *url) != std::string::npos);
    auto logo = world.get("acme-eu.localhost", *url);
    CHECK(logo->status == 200);
    CHECK(logo->body == png);
    CHECK(world.get("globex.localhost", *url)->status == 404);  // not a child: nothing to inherit

    // A logo of the child's own, then cleared: the child wears its parent's again, at the same path.
    const std::string own = std::string("\x89PNG\r\n\x1a\n", 8) + "child logo";
    auto own_url = world.tenancy->put_theme_image("acme-eu", "logo_url", own);
    REQUIRE(own_url.ok());
    REQUIRE(world.directory->refresh().ok());
    CHECK(world.get("acme-eu.localhost", *own_url)->body == own);
    REQUIRE(world.tenancy->set_theme("acme-eu", {{"company_name", "Acme Europe"}}).ok());
    REQUIRE(world.directory->refresh().ok());
    CHECK(world.get("acme-eu.localhost", "/sign-in")->body.find(R"(<img src=")" + *url) != std::string::npos);
    CHECK(world.get("acme-eu.localhost", *url)->body == png);
  });
}
