// The `calyx` binary as an operator meets it: help, version, usage errors, configuration errors before
// anything is served, `calyx migrate` on both backends, and SIGTERM draining an in-flight request.
#include "cli/host_migrations.hpp"
#include "support/fixture_modules.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <calyx/migrations/migration.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace calyx;
using calyx::testing::Process;
using calyx::testing::run_calyx;
using calyx::testing::TempDir;

namespace {
// How many migrations the host carries (the tests must not need editing for each new one).
const std::size_t kHostMigrations = [] {
  auto files = calyx_host_migration_files();
  return migrations::parse_migration_files(files).value().size();
}();
}  // namespace

TEST_CASE("calyx --version and --help") {
  TempDir dir;
  auto version = run_calyx({"--version"}, {}, dir.path());
  CHECK(version.exit_code == 0);
  CHECK(version.out == "calyx " CALYX_VERSION "\n");

  auto help = run_calyx({"--help"}, {}, dir.path());
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("serve") != std::string::npos);
  CHECK(help.out.find("migrate") != std::string::npos);
}

TEST_CASE("an unknown command or a bad flag prints usage and exits non-zero") {
  TempDir dir;
  for (auto args : std::vector<std::vector<std::string>>{{"frobnicate"}, {"serve", "--frobnicate"}, {}}) {
    auto result = run_calyx(args, {}, dir.path());
    CAPTURE(result.err);
    CHECK(result.exit_code != 0);
    CHECK(result.err.find("Usage: calyx") != std::string::npos);
  }
}

TEST_CASE("a bad setting stops the program before it serves, naming the variable") {
  TempDir dir;
  auto result = run_calyx({"serve"}, {{"CALYX_LISTEN", "nowhere"}}, dir.path());
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("calyx: error: CALYX_LISTEN: 'nowhere' is not HOST:PORT") != std::string::npos);

  auto db = run_calyx({"migrate"}, {{"CALYX_DATABASE_URL", "postgresql://x@localhost/"}}, dir.path());
  CHECK(db.exit_code == 1);
  CHECK(db.err.find("CALYX_DATABASE_URL: postgresql URL has no database name") != std::string::npos);

  auto production = run_calyx({"serve"}, {{"CALYX_ENV", "production"}}, dir.path());
  CHECK(production.exit_code == 1);
  CHECK(production.err.find("CALYX_SECRET_KEY: not set") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "var" / "calyx.db"));  // refused before touching anything
}

TEST_CASE("calyx migrate applies the host migrations once and says what it did") {
  testing::every_backend([](testing::TestDatabase& database) {
    TempDir dir;
    std::map<std::string, std::string> env{{"CALYX_DATABASE_URL", database.url_text()}};
    auto first = run_calyx({"migrate"}, env, dir.path());
    CAPTURE(first.err);
    CHECK(first.exit_code == 0);
    CHECK(first.out.find("applied 0001_create_platform_settings") != std::string::npos);
    CHECK(first.out.find(fmt::format("migrated: {} migration(s) applied now, 0 already applied", kHostMigrations)) !=
          std::string::npos);

    auto second = run_calyx({"migrate"}, env, dir.path());
    CHECK(second.exit_code == 0);
    CHECK(second.out.find(fmt::format("up to date: 0 migration(s) applied now, {} already applied", kHostMigrations)) !=
          std::string::npos);
  });
}

TEST_CASE("calyx migrate on an unreachable database fails with a clear message") {
  TempDir dir;
  auto result =
      run_calyx({"migrate"}, {{"CALYX_DATABASE_URL", "postgresql://calyx:pw@127.0.0.1:1/calyx"}}, dir.path());
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("cannot connect to postgresql://calyx:***@127.0.0.1:1/calyx") != std::string::npos);
}

TEST_CASE("production serve refuses pending migrations") {
  TempDir dir;
  std::map<std::string, std::string> env{{"CALYX_ENV", "production"},
                                         {"CALYX_SECRET_KEY", std::string(48, 's')},
                                         {"CALYX_LISTEN", "127.0.0.1:0"}};
  auto refused = run_calyx({"serve"}, env, dir.path());
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find(fmt::format("{} host migration(s) pending (first: 0001_create_platform_settings); run "
                                     "`calyx migrate`",
                                     kHostMigrations)) != std::string::npos);
}

TEST_CASE("SIGTERM lets an in-flight request finish, then calyx serve exits 0") {
  TempDir dir;
  Process server(CALYX_BINARY, {"serve"},
                 {{"CALYX_LISTEN", "127.0.0.1:0"}, {"CALYX_HTTP_THREADS", "2"}, {"CALYX_SHUTDOWN_TIMEOUT_MS", "5000"}},
                 dir.path());
  auto log = server.wait_for_error_text("listening on http://127.0.0.1:", std::chrono::seconds(20));
  REQUIRE(log);
  std::smatch match;
  REQUIRE(std::regex_search(*log, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)")));
  auto port = static_cast<std::uint16_t>(std::stoi(match[1]));
  CHECK(std::filesystem::exists(dir.path() / "var" / "secret_key"));  // development key generated
  CHECK(log->find(fmt::format("development mode: applying {} pending host migration(s)", kHostMigrations)) !=
        std::string::npos);

  // Half a request is on the wire when the signal arrives.
  testing::HttpConnection in_flight(port);
  in_flight.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.signal(SIGTERM);
  REQUIRE(server.wait_for_error_text("received SIGTERM", std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(server.wait(std::chrono::milliseconds(0)).has_value());  // still draining
  in_flight.send("67890");
  auto response = in_flight.read_response();
  REQUIRE(response);
  CHECK(response->status == 405);
  CHECK(response->headers["connection"] == "close");

  auto code = server.wait(std::chrono::seconds(10));
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(server.errors().find("server stopped") != std::string::npos);
}

TEST_CASE("calyx module list shows every module with its status and the reason for a refusal") {
  TempDir dir;
  testing::ModulesDir modules({"good_alpha", "good_beta", "version_not_met", "not_a_library"});
  auto result = run_calyx({"module", "list"}, {{"CALYX_MODULES_DIR", modules.path().string()}}, dir.path());
  CAPTURE(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.starts_with("CODE"));
  auto line_of = [&](const std::string& needle) {
    auto at = result.out.find(needle);
    REQUIRE(at != std::string::npos);
    auto start = result.out.rfind('\n', at) + 1;
    return result.out.substr(start, result.out.find('\n', at) - start);
  };
  std::string beta = line_of("good_beta.so");
  CHECK(beta.starts_with("beta "));
  CHECK(beta.find("0.3.1") != std::string::npos);
  CHECK(beta.find("1.0") != std::string::npos);
  CHECK(beta.find("alpha ^1.0") != std::string::npos);
  CHECK(beta.ends_with("loaded"));
  CHECK(line_of("version_not_met.so").ends_with("refused: dependency version not met: needs 'alpha' ^2.0, found 1.2.0"));
  CHECK(line_of("not_a_library.so").ends_with("refused: not a shared library (no ELF header)"));

  auto empty = run_calyx({"module", "list"}, {{"CALYX_MODULES_DIR", dir.path().string()}}, dir.path());
  CHECK(empty.out == "no modules in " + dir.path().string() + "\n");

  auto no_subcommand = run_calyx({"module"}, {}, dir.path());
  CHECK(no_subcommand.exit_code != 0);
}

TEST_CASE("calyx tenant and calyx module enable manage tenants from the command line") {
  testing::every_backend([](testing::TestDatabase& database) {
    TempDir dir;
    std::map<std::string, std::string> env{{"CALYX_DATABASE_URL", database.url_text()},
                                           {"CALYX_MODULES_DIR", CALYX_MODULES_OUTPUT_DIR}};
    auto created = run_calyx({"tenant", "create", "--slug", "acme", "--name", "Acme Inc", "--domain", "Acme.Test"}, env,
                             dir.path());
    CAPTURE(created.err);
    REQUIRE(created.exit_code == 0);
    CHECK(created.out.find("created tenant acme (isolated") != std::string::npos);
    CHECK(created.out.find("served at acme.localhost, acme.test") != std::string::npos);

    auto bad = run_calyx({"tenant", "create", "--slug", "www", "--name", "X"}, env, dir.path());
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("slug 'www' is reserved") != std::string::npos);
    auto bad_isolation = run_calyx({"tenant", "create", "--slug", "x1", "--name", "X", "--isolation", "solo"}, env, dir.path());
    CHECK(bad_isolation.exit_code != 0);

    auto enabled = run_calyx({"module", "enable", "blog", "--tenant", "acme"}, env, dir.path());
    CHECK(enabled.out == "enabled blog for acme\n");
    auto missing = run_calyx({"module", "enable", "crm", "--tenant", "acme"}, env, dir.path());
    CHECK(missing.err.find("no module 'crm' is installed") != std::string::npos);

    auto listed = run_calyx({"tenant", "list"}, env, dir.path());
    CHECK(listed.out.starts_with("SLUG"));
    CHECK(listed.out.find("acme  Acme Inc  active  isolated   acme.test  blog") != std::string::npos);

    auto token = run_calyx({"tenant", "token", "create", "acme", "--name", "billing-sync"}, env, dir.path());
    CHECK(token.exit_code == 0);
    CHECK(token.out.starts_with("calyx_"));
    CHECK(token.err.find("it is not shown again") != std::string::npos);
    auto tokens = run_calyx({"tenant", "token", "list", "acme"}, env, dir.path());
    CHECK(tokens.out.find("billing-sync  " + token.out.substr(0, 12)) != std::string::npos);
    CHECK(run_calyx({"tenant", "token", "revoke", "acme", "--name", "billing-sync"}, env, dir.path()).exit_code == 0);
    CHECK(run_calyx({"tenant", "token", "list", "acme"}, env, dir.path()).out == "tenant acme has no API tokens\n");

    auto child = run_calyx({"tenant", "create", "--slug", "acme-eu", "--name", "Acme EU", "--parent", "acme",
                            "--isolation", "shared", "--module", "blog"},
                           env, dir.path());
    CHECK(child.out.find("modules: blog") != std::string::npos);
    CHECK(run_calyx({"tenant", "list", "--parent", "acme"}, env, dir.path()).out.find("acme-eu  Acme EU  active  shared") !=
          std::string::npos);
    CHECK(run_calyx({"tenant", "show", "acme"}, env, dir.path()).out.find("children   acme-eu") != std::string::npos);

    CHECK(run_calyx({"tenant", "suspend", "acme"}, env, dir.path()).out == "tenant acme is suspended\n");
    auto shown = run_calyx({"tenant", "show", "acme"}, env, dir.path());
    CHECK(shown.out.find("status     suspended") != std::string::npos);
    CHECK(shown.out.find("modules    blog") != std::string::npos);

    auto unconfirmed = run_calyx({"tenant", "delete", "acme", "--purge"}, env, dir.path());
    CHECK(unconfirmed.exit_code == 1);
    CHECK(unconfirmed.err.find("confirm with --yes") != std::string::npos);
    CHECK(run_calyx({"tenant", "delete", "acme", "--purge", "--yes"}, env, dir.path()).exit_code == 0);
    CHECK(run_calyx({"tenant", "show", "acme"}, env, dir.path()).err.find("no tenant 'acme'") != std::string::npos);
  });
}

TEST_CASE("calyx tenant migrate prints a status per tenant and exits non-zero when one failed") {
  testing::every_backend([](testing::TestDatabase& database) {
    TempDir dir, v1, v2;
    std::filesystem::copy_file(testing::fixture_module("v1/versioned"), v1.path() / "versioned.so");
    std::filesystem::copy_file(testing::fixture_module("v2/versioned"), v2.path() / "versioned.so");
    std::map<std::string, std::string> env{{"CALYX_DATABASE_URL", database.url_text()},
                                           {"CALYX_MODULES_DIR", v1.path().string()}};
    REQUIRE(run_calyx({"migrate"}, env, dir.path()).exit_code == 0);
    for (const char* slug : {"acme", "globex"}) {
      REQUIRE(run_calyx({"tenant", "create", "--slug", slug, "--name", slug, "--isolation", "shared"}, env, dir.path())
                  .exit_code == 0);
      REQUIRE(run_calyx({"module", "enable", "versioned", "--tenant", slug}, env, dir.path()).exit_code == 0);
    }
    REQUIRE(run_calyx({"tenant", "create", "--slug", "initech", "--name", "Initech"}, env, dir.path()).exit_code == 0);
    CHECK(run_calyx({"module", "enable", "versioned", "--tenant", "initech"}, env, dir.path()).exit_code == 0);
    auto idle = run_calyx({"tenant", "migrate"}, env, dir.path());
    CHECK(idle.exit_code == 0);
    CHECK(idle.out.find("acme     up to date") != std::string::npos);

    env["CALYX_MODULES_DIR"] = v2.path().string();
    auto upgraded = run_calyx({"tenant", "migrate", "--jobs", "2"}, env, dir.path());
    CAPTURE(upgraded.out);
    CAPTURE(upgraded.err);
    CHECK(upgraded.exit_code == 0);
    CHECK(upgraded.out.starts_with("TENANT   STATUS"));
    CHECK(upgraded.out.find("initech  migrated  versioned 0002_add_item_done, versioned 0003_unique_item_names") !=
          std::string::npos);
    CHECK(upgraded.out.find("globex   migrated") != std::string::npos);
    CHECK(run_calyx({"tenant", "migrate", "--tenant", "acme"}, env, dir.path()).out.find("acme    up to date") !=
          std::string::npos);
    auto unknown = run_calyx({"tenant", "migrate", "--tenant", "nobody"}, env, dir.path());
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.find("no tenant 'nobody'") != std::string::npos);

    // A module that went missing is a failure of that tenant's migration, named in the report.
    env["CALYX_MODULES_DIR"] = dir.path().string();
    auto missing = run_calyx({"tenant", "migrate"}, env, dir.path());
    CHECK(missing.exit_code == 1);
    CHECK(missing.out.find("module 'versioned' is not installed") != std::string::npos);
    CHECK(missing.err.find("3 of 3 tenant(s) failed") != std::string::npos);
  });
}

TEST_CASE("calyx gen migration adds the next numbered migration to a module's source") {
  TempDir dir;
  auto module = dir.path() / "plugins" / "crm";
  std::filesystem::create_directories(module / "migrations");
  {
    std::ofstream(module / "CMakeLists.txt") << "calyx_add_module(crm SOURCES src/crm.cpp MIGRATIONS ${m})\n";
    std::ofstream(module / "migrations" / "0001_create_contacts.sqlite.sql") << "CREATE TABLE contacts (id INTEGER);\n";
    std::ofstream(module / "migrations" / "0001_create_contacts.postgresql.sql") << "CREATE TABLE contacts (id BIGINT);\n";
  }
  auto made = run_calyx({"gen", "migration", "add_contact_email", "--module=crm"}, {}, dir.path());
  CAPTURE(made.err);
  CHECK(made.exit_code == 0);
  CHECK(std::filesystem::exists(module / "migrations" / "0002_add_contact_email.sqlite.sql"));
  CHECK(std::filesystem::exists(module / "migrations" / "0002_add_contact_email.postgresql.sql"));
  CHECK(made.out.find("created plugins/crm/migrations/0002_add_contact_email.sqlite.sql") != std::string::npos);

  CHECK(run_calyx({"gen", "migration", "add_contact_email", "--module=crm"}, {}, dir.path()).err.find(
            "crm already has a migration named add_contact_email") != std::string::npos);
  CHECK(run_calyx({"gen", "migration", "Bad-Name", "--module=crm"}, {}, dir.path()).err.find("is invalid") !=
        std::string::npos);
  auto nowhere = run_calyx({"gen", "migration", "x_table", "--module=helpdesk"}, {}, dir.path());
  CHECK(nowhere.exit_code == 1);
  CHECK(nowhere.err.find("no source directory of module 'helpdesk' found") != std::string::npos);

  // A module written with one file per migration gets one file; --path names the directory.
  auto single = dir.path() / "elsewhere";
  std::filesystem::create_directories(single);
  std::ofstream(single / "CMakeLists.txt") << "calyx_add_module(notes\n  SOURCES notes.cpp)\n";
  CHECK(run_calyx({"gen", "migration", "create_notes", "--module", "notes", "--path", single.string()}, {}, dir.path())
            .exit_code == 0);
  CHECK(std::filesystem::exists(single / "migrations" / "0001_create_notes.sql"));
}

TEST_CASE("calyx user and calyx tenant member manage accounts from the command line") {
  testing::every_backend([](testing::TestDatabase& database) {
    TempDir dir;
    std::map<std::string, std::string> env{{"CALYX_DATABASE_URL", database.url_text()},
                                           {"CALYX_MODULES_DIR", CALYX_MODULES_OUTPUT_DIR}};
    REQUIRE(run_calyx({"tenant", "create", "--slug", "acme", "--name", "Acme", "--module", "blog"}, env, dir.path()).exit_code == 0);
    auto created = run_calyx({"user", "create", "--email", "Ann@Acme.test", "--name", "Ann", "--password-stdin"}, env,
                             dir.path(), "correct horse battery\n");
    CAPTURE(created.err);
    CHECK(created.out == "created user ann@acme.test\n");
    auto weak = run_calyx({"user", "create", "--email", "bob@acme.test", "--password-stdin"}, env, dir.path(), "short\n");
    CHECK(weak.exit_code == 1);
    CHECK(weak.err.find("at least 10 characters") != std::string::npos);

    CHECK(run_calyx({"tenant", "member", "add", "acme", "--email", "ann@acme.test", "--role", "owner", "--module-role",
                     "blog.editor"},
                    env, dir.path())
              .out == "ann@acme.test is owner of acme\n");
    CHECK(run_calyx({"tenant", "member", "add", "acme", "--email", "ann@acme.test", "--module-role", "crm.boss"}, env, dir.path())
              .err.find("no module of tenant acme defines the role 'crm.boss'") != std::string::npos);
    auto members = run_calyx({"tenant", "member", "list", "acme"}, env, dir.path());
    CHECK(members.out.find("ann@acme.test  Ann   owner  blog.editor") != std::string::npos);
    CHECK(run_calyx({"tenant", "member", "remove", "acme", "--email", "ann@acme.test"}, env, dir.path())
              .err.find("the last owner of a tenant cannot be removed") != std::string::npos);
    CHECK(run_calyx({"user", "reset-2fa", "ann@acme.test"}, env, dir.path()).out ==
          "two-factor sign-in of ann@acme.test is off; they can set it up again\n");
    CHECK(run_calyx({"user", "suspend", "ann@acme.test"}, env, dir.path()).out.find("is suspended") != std::string::npos);
    CHECK(run_calyx({"user", "list"}, env, dir.path()).out.find("ann@acme.test  Ann   suspended  no") != std::string::npos);
    CHECK(run_calyx({"tenant", "signup", "acme", "on"}, env, dir.path()).out == "sign-up on acme is on: /register\n");
    CHECK(run_calyx({"tenant", "support-email", "acme", "Help@Acme.test"}, env, dir.path()).out ==
          "acme's emails come from Help@Acme.test\n");
    CHECK(run_calyx({"tenant", "show", "acme"}, env, dir.path()).out.find("support    help@acme.test") != std::string::npos);
    auto trail = run_calyx({"audit", "--tenant", "acme"}, env, dir.path());
    for (const char* action : {"tenant.created", "member.role_changed", "tenant.signup_changed", "tenant.support_email_changed"}) {
      CAPTURE(action);
      CHECK(trail.out.find(action) != std::string::npos);
    }
    CHECK(run_calyx({"audit"}, env, dir.path()).err.find("give --tenant SLUG or --user EMAIL") != std::string::npos);

    CHECK(run_calyx({"org", "create", "--slug", "acme-corp", "--name", "Acme Corp", "--admin", "ann@acme.test"}, env, dir.path())
              .out == "created org acme-corp with admin ann@acme.test\n");
    CHECK(run_calyx({"org", "tenant", "acme-corp", "--tenant", "acme"}, env, dir.path()).out ==
          "tenant acme belongs to org acme-corp\n");
    auto invited = run_calyx({"org", "invite", "acme-corp", "--email", "bob@acme.test"}, env, dir.path());
    CHECK(invited.out.find("invited bob@acme.test to acme-corp: http://acme.localhost/invitation?token=") == 0);
    CHECK(run_calyx({"org", "invitations", "acme-corp"}, env, dir.path()).out.find("bob@acme.test  member  pending") !=
          std::string::npos);
    CHECK(run_calyx({"org", "revoke", "acme-corp", "--id", "1"}, env, dir.path()).out == "invitation 1 revoked\n");
    CHECK(run_calyx({"org", "members", "acme-corp"}, env, dir.path()).out.find("ann@acme.test  admin") != std::string::npos);
  });
}

TEST_CASE("calyx demo seeds tenants, users and posts once, and says so when run again") {
  testing::every_backend([](testing::TestDatabase& database) {
    TempDir dir;
    std::map<std::string, std::string> env{{"CALYX_DATABASE_URL", database.url_text()},
                                           {"CALYX_MODULES_DIR", CALYX_MODULES_OUTPUT_DIR}};
    auto first = run_calyx({"demo"}, env, dir.path());
    CAPTURE(first.err);
    CHECK(first.exit_code == 0);
    CHECK(first.out.find("seeded tenant acme (isolated)") != std::string::npos);
    CHECK(first.out.find("seeded tenant globex (shared)") != std::string::npos);
    CHECK(first.out.find("password for every account: calyx-demo-password") != std::string::npos);
    auto again = run_calyx({"demo"}, env, dir.path());
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("tenant acme is already there") != std::string::npos);
    auto tenants = run_calyx({"tenant", "list"}, env, dir.path()).out;
    CHECK(tenants.find("globex  Globex Corporation  active  shared") != std::string::npos);
    CHECK(run_calyx({"user", "list"}, env, dir.path()).out.find("admin@calyx.localhost") != std::string::npos);
    CHECK(run_calyx({"tenant", "member", "list", "acme"}, env, dir.path()).out.find("ann@acme.localhost") != std::string::npos);
    // Served: each tenant's published posts, and the owner can sign in.
    {
      auto serve_env = env;
      serve_env["CALYX_LISTEN"] = "127.0.0.1:0";
      Process server(CALYX_BINARY, {"serve"}, serve_env, dir.path());
      auto log = server.wait_for_error_text("listening on http://127.0.0.1:", std::chrono::seconds(20));
      REQUIRE(log);
      std::smatch match;
      REQUIRE(std::regex_search(*log, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)")));
      auto port = static_cast<std::uint16_t>(std::stoi(match[1]));
      CHECK(testing::http_request(port, "GET", "/blog", "", "", "acme.localhost")->body.find("Our roadmap") != std::string::npos);
      CHECK(testing::http_request(port, "GET", "/blog", "", "", "globex.localhost")->body.find("Hello from Globex") !=
            std::string::npos);
      CHECK(testing::http_request(port, "GET", "/blog", "", "", "globex.localhost")->body.find("Our roadmap") ==
            std::string::npos);
      server.signal(SIGTERM);
      CHECK(server.wait(std::chrono::seconds(10)) == 0);
    }
    // Without Blog there is nothing to seed the posts with.
    CHECK(run_calyx({"demo"}, {{"CALYX_DATABASE_URL", database.url_text()}, {"CALYX_MODULES_DIR", dir.path().string()}},
                    dir.path())
              .err.find("the demo needs the Blog module") != std::string::npos);
  });
}
