// The tenant front over real HTTP on both backends: detection by domain, status pages, module routes only
// for subscribed tenants, errors mapped to pages, isolation between tenants, and changes made elsewhere
// reaching the running host within a second.
#include "support/front_world.hpp"
#include "support/http_client.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace calyx;
using calyx::testing::http_request;
using calyx::testing::TestDatabase;

using calyx::testing::FrontWorld;

TEST_CASE("the tenant is detected from the host: custom domain, then <slug>.<base domain>, else no workspace") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    auto by_domain = world.get("ACME.test:4000", "/");
    REQUIRE(by_domain);
    CHECK(by_domain->status == 200);
    CHECK(by_domain->body.find("<h1>Acme</h1>") != std::string::npos);
    CHECK(world.get("globex.localhost", "/")->body.find("<h1>Globex</h1>") != std::string::npos);
    auto unknown = world.get("nope.localhost", "/");
    CHECK(unknown->status == 404);
    CHECK(unknown->body.find("No such workspace") != std::string::npos);
    CHECK(world.get("elsewhere.example", "/")->status == 404);
    auto platform = world.get("localhost", "/");
    CHECK(platform->status == 200);
    CHECK(platform->body.find("Tenant workspaces are served at") != std::string::npos);
    CHECK(world.get("acme.localhost", "/healthz")->status == 200);  // the host's own routes answer everywhere
  });
}

TEST_CASE("a suspended tenant answers 403, an inactive one 503, a deleted one 404") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    REQUIRE(world.tenancy->set_status("acme", tenancy::TenantStatus::suspended).ok());
    REQUIRE(world.directory->refresh().ok());
    auto suspended = world.get("acme.localhost", "/notes");
    CHECK(suspended->status == 403);
    CHECK(suspended->body.find("Workspace suspended") != std::string::npos);
    CHECK(suspended->body.find("Acme") != std::string::npos);
    REQUIRE(world.tenancy->set_status("acme", tenancy::TenantStatus::inactive).ok());
    REQUIRE(world.directory->refresh().ok());
    auto inactive = world.get("acme.localhost", "/");
    CHECK(inactive->status == 503);
    CHECK(inactive->headers["retry-after"] == "300");
    REQUIRE(world.tenancy->remove("acme", false).ok());
    REQUIRE(world.directory->refresh().ok());
    CHECK(world.get("acme.localhost", "/")->status == 404);
  });
}

TEST_CASE("a route that never blocks runs on the I/O thread for anonymous visitors, without a database") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    auto quick = world.get("acme.localhost", "/notes/quick");
    REQUIRE(quick);
    CHECK(quick->status == 200);
    CHECK(quick->body == "quick on calyx-io");
    auto with_database = world.get("acme.localhost", "/notes/quick?db");
    CHECK(with_database->status == 403);
    CHECK(with_database->body.find("CALYX_ROUTE_NONBLOCKING") != std::string::npos);
    CHECK(world.get("acme.localhost", "/notes")->status == 200);  // its other routes still reach the database

    // What the server asks before choosing the thread: only anonymous requests, for such a route, of an active
    // tenant that has the module; a session means a database read, so a signed-in visitor goes to a worker.
    auto request = [](const char* host, const char* target, const char* cookie = nullptr) {
      http::Request r{http::bhttp::verb::get, target, 11};
      r.set(http::bhttp::field::host, host);
      if (cookie) r.set(http::bhttp::field::cookie, cookie);
      return r;
    };
    CHECK(world.front->never_blocks(request("acme.localhost", "/notes/quick")));
    CHECK(world.front->never_blocks(request("globex.localhost", "/notes/quick?x=1")));
    CHECK_FALSE(world.front->never_blocks(request("acme.localhost", "/notes/quick", "calyx_session=abc")));
    CHECK_FALSE(world.front->never_blocks(request("acme.localhost", "/notes")));
    CHECK_FALSE(world.front->never_blocks(request("nope.localhost", "/notes/quick")));
    REQUIRE(world.tenancy->set_status("acme", tenancy::TenantStatus::suspended).ok());
    REQUIRE(world.directory->refresh().ok());
    CHECK_FALSE(world.front->never_blocks(request("acme.localhost", "/notes/quick")));
  });
}

TEST_CASE("a module answers only for tenants that enabled it; members-only routes need a signed-in user") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    auto blog = world.get("acme.localhost", "/blog");
    CHECK(blog->status == 200);
    CHECK(blog->headers["content-type"] == "text/html; charset=utf-8");
    CHECK(blog->body.find("<title>Blog · Acme</title>") != std::string::npos);  // inside the tenant layout
    CHECK(world.get("acme.localhost", "/blog?format=json")->headers["content-type"] == "application/json");
    CHECK(world.get("globex.localhost", "/blog")->status == 404);  // globex has not enabled Blog
    auto editor = world.get("acme.localhost", "/blog/editor");  // members only: to the sign-in page and back
    CHECK(editor->status == 303);
    CHECK(editor->headers["location"] == "/sign-in?next=/blog/editor");
    auto post = http_request(world.server->port(), "POST", "/blog/editor/posts", "", "title=x", "acme.localhost");
    CHECK(post->status == 403);
    CHECK(post->body.find("Sign in required") != std::string::npos);
    CHECK(world.get("acme.localhost", "/no/such/page")->status == 404);
  });
}

TEST_CASE("module failures become error pages: 4xx with the module's reason, 5xx without it") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    auto bad = http_request(world.server->port(), "POST", "/notes", "Content-Type: application/x-www-form-urlencoded\r\n",
                            "score=1", "acme.localhost");
    CHECK(bad->status == 400);
    CHECK(bad->body.find("body is required") != std::string::npos);
    auto broken = world.get("acme.localhost", "/notes/bad-sql");
    CHECK(broken->status == 500);
    CHECK(broken->body.find("nowhere") == std::string::npos);
  });
}

TEST_CASE("over HTTP, one tenant never sees another's rows") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    auto created = http_request(world.server->port(), "POST", "/notes", "", "body=acme+secret&score=1", "acme.localhost");
    CHECK(created->status == 201);
    CHECK(world.get("globex.localhost", "/notes")->body == "[]");
    CHECK(world.get("acme.test", "/notes")->body.find("acme secret") != std::string::npos);
  });
}

TEST_CASE("a change made elsewhere reaches the running host within a second") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    // Another Tenancy on its own pool stands for the CLI or another host process.
    auto other_pool = database.open_pool();
    tenancy::Tenancy elsewhere(*other_pool, world.options, *world.registry);
    REQUIRE(elsewhere.set_status("globex", tenancy::TenantStatus::suspended).ok());
    CHECK(world.eventually("globex.localhost", "/", 403));
    REQUIRE(elsewhere.create({"initech", "Initech", tenancy::Isolation::isolated, {"initech.test"}, "", "", {}}).ok());
    CHECK(world.eventually("initech.test", "/", 200));
    REQUIRE(elsewhere.enable_module("initech", "blog").ok());
    CHECK(world.eventually("initech.localhost", "/blog", 200));
  });
}

TEST_CASE("an API call may name its tenant in X-Calyx-Tenant, only with a token of that tenant") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    // Globex's first: once the directory shows acme's token (below), it has read past globex's too.
    auto globex_token = world.tenancy->issue_token("globex", "sync");
    auto acme_token = world.tenancy->issue_token("acme", "sync");
    REQUIRE(acme_token.ok());
    REQUIRE(globex_token.ok());
    CHECK(world.tenancy->issue_token("acme", "sync").error().message() == "tenant 'acme' already has a token named 'sync'");
    CHECK(world.tenancy->issue_token("acme", "Bad Name").error().message().find("is invalid") != std::string::npos);
    auto call = [&](const std::string& headers) {
      return http_request(world.server->port(), "GET", "/notes", headers, "", "127.0.0.1");
    };
    // The token's hash reaches the running directory with the version change.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    auto ok = call("X-Calyx-Tenant: acme\r\nAuthorization: Bearer " + *acme_token + "\r\n");
    while (ok->status != 200 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ok = call("X-Calyx-Tenant: acme\r\nAuthorization: Bearer " + *acme_token + "\r\n");
    }
    CHECK(ok->status == 200);
    CHECK(ok->body == "[]");

    auto missing = call("X-Calyx-Tenant: acme\r\n");
    CHECK(missing->status == 401);
    CHECK(missing->headers["www-authenticate"] == "Bearer realm=\"calyx\"");
    CHECK(missing->body.find("needs an API token of that tenant") != std::string::npos);
    CHECK(call("X-Calyx-Tenant: acme\r\nAuthorization: Bearer calyx_forged\r\n")->status == 401);
    auto foreign = call("X-Calyx-Tenant: acme\r\nAuthorization: Bearer " + *globex_token + "\r\n");
    CHECK(foreign->status == 403);
    CHECK(foreign->body == R"({"error":"the API token does not belong to the tenant named in X-Calyx-Tenant"})");
    CHECK(call("X-Calyx-Tenant: nobody\r\nAuthorization: Bearer " + *acme_token + "\r\n")->status == 403);

    REQUIRE(world.tenancy->tokens("acme")->size() == 1);
    CHECK(world.tenancy->tokens("acme")->front().prefix == acme_token->substr(0, 12));
    REQUIRE(world.tenancy->revoke_token("acme", "sync").ok());
    CHECK(world.tenancy->revoke_token("acme", "sync").error().message() == "tenant 'acme' has no token named 'sync'");
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    int status = 200;
    while (status != 401 && std::chrono::steady_clock::now() < deadline) {
      status = call("X-Calyx-Tenant: acme\r\nAuthorization: Bearer " + *acme_token + "\r\n")->status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(status == 401);
  });
}
