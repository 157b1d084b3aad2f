// Sign-in, sessions, CSRF and the authorization layers over real HTTP, on both databases: what a browser does,
// and the attacks — wrong password, unknown email, forged cookies, another tenant's session, missing or forged
// CSRF tokens, non-members, missing module roles, prohibitions, suspended users, brute force.
#include "support/front_world.hpp"
#include "support/browser.hpp"

#include <calyx/accounts/totp.hpp>

#include <doctest/doctest.h>

#include <soci/soci.h>

#include <regex>

using namespace calyx;
using calyx::testing::Browser;
using calyx::testing::FrontWorld;
using calyx::testing::http_request;
using calyx::testing::HttpResponse;
using calyx::testing::kPassword;
using calyx::testing::TestDatabase;

namespace {

struct People {
  explicit People(FrontWorld& world)
      : editor(world.member("editor@acme.test", "acme", orgs::TenantRole::member, "blog.editor")),
        viewer(world.member("viewer@acme.test", "acme", orgs::TenantRole::member, "blog.viewer")),
        outsider(world.member("outsider@globex.test", "globex", orgs::TenantRole::owner)) {}
  std::int64_t editor, viewer, outsider;
};

}  // namespace

TEST_CASE("signing in on a tenant's host gives an HttpOnly session cookie that opens the members' pages") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser browser(world, "acme.localhost");
    auto form = browser.request("GET", "/sign-in?next=/blog/editor");
    CHECK(form.status == 200);
    CHECK(form.headers["set-cookie"].find("calyx_csrf=") != std::string::npos);
    CHECK(form.body.find(R"(<label for="email">Email</label>)") != std::string::npos);

    auto signed_in = browser.sign_in("Editor@Acme.test", kPassword);
    CHECK(signed_in.status == 303);
    CHECK(signed_in.headers["location"] == "/blog/editor");
    CHECK(signed_in.headers["set-cookie"].find("calyx_session=") != std::string::npos);
    CHECK(signed_in.headers["set-cookie"].find("HttpOnly; SameSite=Lax") != std::string::npos);
    REQUIRE(browser.cookies.contains("calyx_session"));

    auto editor = browser.request("GET", "/blog/editor");
    CHECK(editor.status == 200);
    CHECK(editor.headers["cache-control"] == "private, no-store");
    CHECK(editor.body.find("Sign out") != std::string::npos);
    std::string csrf = Browser::csrf_of(editor);
    CHECK(csrf.size() == 64);  // every POST form carries the session's token

    // A state-changing request needs the token: missing or forged → 403, the right one → done.
    CHECK(browser.request("POST", "/blog/editor/posts", "title=No+token").status == 403);
    CHECK(browser.request("POST", "/blog/editor/posts", "title=Forged&_csrf=" + std::string(64, 'a')).status == 403);
    CHECK(browser.request("POST", "/blog/editor/posts", "title=Hello&_csrf=" + csrf).status == 303);
    CHECK(browser.request("POST", "/blog/editor/posts", "title=Header", "X-CSRF-Token: " + csrf + "\r\n").status == 303);
    auto list = browser.request("GET", "/blog/editor?format=json");
    CHECK(list.body.find("\"title\":\"Hello\"") != std::string::npos);
    CHECK(list.body.find("No token") == std::string::npos);
    CHECK(list.body.find("Forged") == std::string::npos);

    // Audit: the sign-in is recorded for the tenant and the user.
    auto entries = world.audit->for_user(people.editor).value();
    REQUIRE_FALSE(entries.empty());
    CHECK(entries.front().action == "session.sign_in");

    // Signing out ends the session: the old cookie opens nothing any more.
    auto old_cookie = browser.cookies["calyx_session"];
    auto out = browser.request("POST", "/sign-out", "_csrf=" + csrf);
    CHECK(out.status == 303);
    CHECK(out.headers["set-cookie"].find("calyx_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0") != std::string::npos);
    browser.cookies["calyx_session"] = old_cookie;
    CHECK(browser.request("GET", "/blog/editor").status == 303);  // back to the sign-in page
  });
}

TEST_CASE("wrong passwords, unknown emails and forged sign-in forms are refused alike; brute force is slowed") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser browser(world, "acme.localhost");
    auto wrong = browser.sign_in("editor@acme.test", "not the password");
    auto unknown = browser.sign_in("nobody@acme.test", "not the password");
    CHECK(wrong.status == 401);
    CHECK(unknown.status == 401);
    CHECK(wrong.body.find("The email or password is wrong") == std::string::npos);  // message is lower case
    CHECK(wrong.body.find("the email or password is wrong") != std::string::npos);
    CHECK(unknown.body.find("the email or password is wrong") != std::string::npos);
    CHECK_FALSE(browser.cookies.contains("calyx_session"));

    // Login CSRF: a form posted without the cookie's token is refused before any password check.
    Browser stranger(world, "acme.localhost");
    auto forged = stranger.request("POST", "/sign-in", "_csrf=abc&email=editor@acme.test&password=correct+horse+battery");
    CHECK(forged.status == 403);
    CHECK_FALSE(stranger.cookies.contains("calyx_session"));

    // After the free tries the account is locked for a growing delay, even with the right password.
    browser.sign_in("editor@acme.test", "wrong again 1");
    browser.sign_in("editor@acme.test", "wrong again 2");
    auto locked = browser.sign_in("editor@acme.test", kPassword);
    CHECK(locked.status == 429);
    CHECK(locked.body.find("too many failed sign-ins; try again in") != std::string::npos);
    auto failures = world.audit->for_tenant(world.tenancy->find("acme")->id).value();
    CHECK(std::count_if(failures.begin(), failures.end(),
                        [](const audit::Entry& e) { return e.action == "session.sign_in_failed"; }) >= 4);
  });
}

TEST_CASE("each authorization layer refuses with its name; a prohibition beats a grant; sessions stay on their host") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    auto acme = world.tenancy->find("acme")->id;

    // Layer 3: a member whose roles do not grant blog.posts.edit.
    Browser viewer(world, "acme.localhost");
    REQUIRE(viewer.sign_in("viewer@acme.test", kPassword).status == 303);
    auto refused = viewer.request("GET", "/blog/editor");
    CHECK(refused.status == 403);
    CHECK(refused.body.find("Refused at module permission: none of your roles grants &#39;blog.posts.edit&#39;") !=
          std::string::npos);

    // Layer 1: signed in on acme, but a member of globex only.
    Browser outsider(world, "acme.localhost");
    REQUIRE(outsider.sign_in("outsider@globex.test", kPassword).status == 303);
    CHECK(outsider.request("GET", "/blog/editor").body.find("Refused at tenant access: you are not a member") !=
          std::string::npos);

    // A session of acme presented on globex's host is nobody there (cookies are host-only; a forged one is too).
    Browser editor(world, "acme.localhost");
    REQUIRE(editor.sign_in("editor@acme.test", kPassword).status == 303);
    Browser thief(world, "globex.localhost");
    thief.cookies = editor.cookies;
    CHECK(thief.request("GET", "/notes/whoami").body == "globex/" + std::to_string(world.tenancy->find("globex")->id) + "//r");
    thief.cookies["calyx_session"] = std::string(64, 'f');
    CHECK(thief.request("GET", "/notes/whoami").body.find("globex/") == 0);

    // The module sees the user and their permissions (layer 4 is the module's own check through the ABI).
    CHECK(editor.request("GET", "/notes/whoami").body == "acme/" + std::to_string(acme) + "/editor@acme.test/r");

    // An explicit prohibition beats the editor role.
    REQUIRE(world.memberships->prohibit(acme, people.editor, "blog.posts.edit").ok());
    CHECK(editor.request("GET", "/blog/editor").body.find("&#39;blog.posts.edit&#39; is prohibited for you") !=
          std::string::npos);
    REQUIRE(world.memberships->allow(acme, people.editor, "blog.posts.edit").ok());
    CHECK(editor.request("GET", "/blog/editor").status == 200);

    // Suspending the user signs them out on their next request.
    REQUIRE(world.accounts->set_status(people.editor, accounts::UserStatus::suspended).ok());
    CHECK(editor.request("GET", "/blog/editor").status == 303);
    CHECK(editor.sign_in("editor@acme.test", kPassword).body.find("this account is suspended") != std::string::npos);
  });
}

TEST_CASE("a forgotten password is reset through a single-use emailed link; unknown emails get the same answer") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser browser(world, "acme.localhost");
    auto ask = [&](const std::string& email) {
      Browser anonymous(world, "acme.localhost");
      auto form = anonymous.request("GET", "/password/forgot");
      return anonymous.request("POST", "/password/forgot", "_csrf=" + Browser::csrf_of(form) + "&email=" + email);
    };
    auto unknown = ask("nobody@acme.test");
    auto known = ask("editor@acme.test");
    CHECK(unknown.status == 200);
    CHECK(known.status == 200);
    CHECK(unknown.body == known.body);  // nothing tells whether the account exists
    auto mail = world.outbox->latest().value();
    REQUIRE(mail.size() == 1);  // only the real account got mail
    CHECK(mail[0].to == "editor@acme.test");
    CHECK(mail[0].from == "no-reply@localhost");
    CHECK(mail[0].subject == "Reset your Acme password");

    // The mailbox (development mode) shows it with a working link.
    auto mailbox = browser.request("GET", "/dev/mailbox");
    CHECK(mailbox.body.find("Reset your Acme password") != std::string::npos);
    std::smatch link;
    REQUIRE(std::regex_search(mailbox.body, link, std::regex(R"re(href="http://acme\.test(:\d+)?(/password/reset\?token=([0-9a-f]{64}))")re")));
    std::string reset_path = link[2].str(), token = link[3].str();
    CHECK(world.get("globex.localhost", "/dev/mailbox")->body.find("Reset your Acme password") == std::string::npos);

    auto form = browser.request("GET", reset_path);
    CHECK(form.body.find(token) != std::string::npos);
    auto weak = browser.request("POST", "/password/reset", "_csrf=" + Browser::csrf_of(form) + "&token=" + token + "&password=short");
    CHECK(weak.status == 422);  // a weak choice does not spend the link
    auto done = browser.request("POST", "/password/reset",
                                "_csrf=" + Browser::csrf_of(weak) + "&token=" + token + "&password=a+brand+new+secret");
    CHECK(done.status == 303);
    auto replay = browser.request("POST", "/password/reset",
                                  "_csrf=" + Browser::csrf_of(weak) + "&token=" + token + "&password=another+new+secret");
    CHECK(replay.status == 403);
    CHECK(replay.body.find("this link was used already") != std::string::npos);
    CHECK(browser.sign_in("editor@acme.test", kPassword).status == 401);
    CHECK(browser.sign_in("editor@acme.test", "a brand new secret").status == 303);

    // An expired link is refused. (And mail comes from the tenant's support address once it has one.)
    REQUIRE(world.tenancy->set_support_email("acme", "help@acme.test").ok());
    REQUIRE(world.directory->refresh().ok());
    ask("viewer@acme.test");
    CHECK(world.outbox->latest().value().front().from == "help@acme.test");
    {
      auto lease = world.pool->acquire();
      lease->session() << "UPDATE calyx_user_tokens SET expires_at = 1 WHERE used_at IS NULL";
    }
    std::regex_search(world.outbox->latest().value().front().body, link, std::regex(R"re(token=([0-9a-f]{64}))re"));
    Browser fresh(world, "acme.localhost");  // signed out, like someone opening the mail later
    auto page = fresh.request("GET", "/password/reset?token=" + link[1].str());
    auto expired = fresh.request("POST", "/password/reset",
                                   "_csrf=" + Browser::csrf_of(page) + "&token=" + link[1].str() + "&password=yet+another+one");
    CHECK(expired.body.find("this link has expired") != std::string::npos);
  });
}

TEST_CASE("two-factor sign-in: set up with an authenticator code, then a code or a single-use backup code is needed") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser browser(world, "acme.localhost");
    REQUIRE(browser.sign_in("editor@acme.test", kPassword).status == 303);
    auto page = browser.request("GET", "/account/security");
    CHECK(page.body.find("Two-factor sign-in is off.") != std::string::npos);
    auto begun = browser.request("POST", "/account/security", "action=begin&_csrf=" + Browser::csrf_of(page));
    std::smatch key;
    REQUIRE(std::regex_search(begun.body, key, std::regex("key <code>([A-Z2-7]+)</code>")));
    std::string secret = accounts::base32_decode(key[1].str()).value();
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto csrf = Browser::csrf_of(begun);
    CHECK(browser.request("POST", "/account/security", "action=enable&code=000000&_csrf=" + csrf).status == 422);
    auto enabled = browser.request("POST", "/account/security",
                                   "action=enable&code=" + accounts::totp_code(secret, now) + "&_csrf=" + csrf);
    CHECK(enabled.status == 200);
    std::smatch backup;
    REQUIRE(std::regex_search(enabled.body, backup, std::regex("<code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</code>")));

    // Signing in now stops at the code step; no session until the code is right.
    Browser again(world, "acme.localhost");
    auto step = again.sign_in("editor@acme.test", kPassword);
    CHECK(step.status == 200);
    CHECK(step.body.find("Enter your code") != std::string::npos);
    CHECK_FALSE(again.cookies.contains("calyx_session"));
    std::smatch pending;
    REQUIRE(std::regex_search(step.body, pending, std::regex(R"re(name="pending" value="([0-9a-f]{64})")re")));
    auto wrong = again.request("POST", "/sign-in/code", "_csrf=" + Browser::csrf_of(step) + "&pending=" + pending[1].str() + "&code=123456");
    CHECK(wrong.status == 401);
    auto right = again.request("POST", "/sign-in/code",
                               "_csrf=" + Browser::csrf_of(wrong) + "&pending=" + pending[1].str() + "&code=" + accounts::totp_code(secret, now));
    CHECK(right.status == 303);
    CHECK(again.cookies.contains("calyx_session"));
    // The pending sign-in is spent.
    CHECK(again.request("POST", "/sign-in/code", "_csrf=" + Browser::csrf_of(wrong) + "&pending=" + pending[1].str() +
                                                     "&code=" + accounts::totp_code(secret, now))
              .status != 303);

    // A backup code works once.
    auto with_backup = [&] {
      Browser b(world, "acme.localhost");
      auto s = b.sign_in("editor@acme.test", kPassword);
      std::smatch p;
      std::regex_search(s.body, p, std::regex(R"re(name="pending" value="([0-9a-f]{64})")re"));
      return b.request("POST", "/sign-in/code", "_csrf=" + Browser::csrf_of(s) + "&pending=" + p[1].str() + "&code=" + backup[1].str());
    };
    CHECK(with_backup().status == 303);
    CHECK(with_backup().status == 401);
    auto entries = world.audit->for_user(people.editor).value();
    CHECK(std::any_of(entries.begin(), entries.end(), [](const audit::Entry& e) { return e.action == "account.two_factor_enabled"; }));
  });
}

TEST_CASE("a user lists their sessions, ends the others, and changes the password with the current one") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser laptop(world, "acme.localhost"), phone(world, "acme.localhost");
    REQUIRE(laptop.sign_in("editor@acme.test", kPassword).status == 303);
    REQUIRE(phone.sign_in("editor@acme.test", kPassword).status == 303);
    auto page = laptop.request("GET", "/account/security");
    CHECK(page.body.find("(this one)") != std::string::npos);
    CHECK(world.accounts->session_count(people.editor).value() == 2);
    laptop.request("POST", "/account/security", "action=end_others&_csrf=" + Browser::csrf_of(page));
    CHECK(world.accounts->session_count(people.editor).value() == 1);
    CHECK(phone.request("GET", "/blog/editor").status == 303);  // the phone was signed out
    CHECK(laptop.request("GET", "/blog/editor").status == 200);

    auto wrong = laptop.request("POST", "/account/security",
                                "action=password&current=nope&password=a+new+long+one&_csrf=" + Browser::csrf_of(page));
    CHECK(wrong.body.find("the current password is wrong") != std::string::npos);
    auto changed = laptop.request("POST", "/account/security",
                                  "action=password&current=correct+horse+battery&password=a+new+long+one&_csrf=" +
                                      Browser::csrf_of(page));
    CHECK(changed.body.find("Your password was changed") != std::string::npos);
    CHECK(laptop.request("GET", "/blog/editor").status == 200);  // this session stays
    CHECK(Browser(world, "acme.localhost").sign_in("editor@acme.test", "a new long one").status == 303);
  });
}

TEST_CASE("self sign-up where the tenant allows it: confirm the email, then sign in; user_created reaches the modules") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser browser(world, "acme.localhost");
    CHECK(browser.request("GET", "/register").status == 404);  // off by default
    REQUIRE(world.tenancy->set_signup("acme", true).ok());
    REQUIRE(world.eventually("acme.localhost", "/register", 200));

    auto form = browser.request("GET", "/register");
    auto weak = browser.request("POST", "/register", "_csrf=" + Browser::csrf_of(form) + "&email=new@acme.test&password=short");
    CHECK(weak.status == 422);
    auto done = browser.request("POST", "/register",
                                "_csrf=" + Browser::csrf_of(weak) + "&name=New&email=new@acme.test&password=a+fine+password");
    CHECK(done.body.find("Check your email") != std::string::npos);
    // Registering a taken address answers the same, and mails the owner instead.
    auto form2 = browser.request("GET", "/register");
    auto taken = browser.request("POST", "/register",
                                 "_csrf=" + Browser::csrf_of(form2) + "&email=editor@acme.test&password=a+fine+password");
    CHECK(taken.body == done.body);
    auto mail = world.outbox->latest().value();
    REQUIRE(mail.size() == 2);
    CHECK(mail[0].to == "editor@acme.test");
    CHECK(mail[0].subject == "Your Acme account");
    CHECK(mail[1].subject == "Confirm your Acme account");

    CHECK(browser.sign_in("new@acme.test", "a fine password").body.find("confirm your email first") != std::string::npos);
    std::smatch token;
    REQUIRE(std::regex_search(mail[1].body, token, std::regex("/confirm\\?token=([0-9a-f]{64})")));
    CHECK(browser.request("GET", "/confirm?token=" + token[1].str()).body.find("Email confirmed") != std::string::npos);
    CHECK(browser.request("GET", "/confirm?token=" + token[1].str()).status == 403);  // used
    CHECK(browser.sign_in("new@acme.test", "a fine password").status == 303);

    // A member of acme now, and the notes module heard about them.
    auto user = world.accounts->find_user("new@acme.test").value();
    CHECK(world.memberships->of(world.tenancy->find("acme")->id, user.id).value()->role == orgs::TenantRole::member);
    CHECK(world.get("acme.localhost", "/notes")->body.find("user_created: acme") != std::string::npos);
  });
}

TEST_CASE("a platform admin lists and suspends users and impersonates one, with a banner and an audit trail") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    REQUIRE(world.accounts->create_user({"root@platform.test", "Root", kPassword, true, true}).ok());
    REQUIRE(world.accounts->create_user({"other-root@platform.test", "Other", kPassword, true, true}).ok());
    Browser member(world, "acme.localhost");
    REQUIRE(member.sign_in("viewer@acme.test", kPassword).status == 303);
    CHECK(member.request("GET", "/admin/users").status == 404);  // not for members

    Browser admin(world, "acme.localhost");
    REQUIRE(admin.sign_in("root@platform.test", kPassword).status == 303);
    auto users = admin.request("GET", "/admin/users");
    CHECK(users.status == 200);
    CHECK(users.body.find("editor@acme.test") != std::string::npos);
    std::string csrf = Browser::csrf_of(users);

    // Never another platform admin.
    CHECK(admin.request("POST", "/admin/impersonate", "email=other-root@platform.test&_csrf=" + csrf).status == 403);

    auto started = admin.request("POST", "/admin/impersonate", "email=editor@acme.test&_csrf=" + csrf);
    CHECK(started.status == 303);
    auto home = admin.request("GET", "/notes/whoami");
    CHECK(home.body.find("/editor@acme.test/") != std::string::npos);  // acting as the editor
    auto page = admin.request("GET", "/blog/editor");
    CHECK(page.body.find("You are impersonating editor@acme.test") != std::string::npos);
    CHECK(admin.request("GET", "/admin/users").status == 404);  // no admin powers while impersonating

    auto stopped = admin.request("POST", "/admin/impersonate/stop", "_csrf=" + Browser::csrf_of(page));
    CHECK(stopped.status == 303);
    CHECK(admin.request("GET", "/admin/users").status == 200);  // the admin's own session again

    auto acme = world.tenancy->find("acme")->id;
    auto trail = world.audit->for_tenant(acme).value();
    auto find = [&](const char* action) {
      return std::find_if(trail.begin(), trail.end(), [&](const audit::Entry& e) { return e.action == action; });
    };
    REQUIRE(find("impersonation.start") != trail.end());
    CHECK(find("impersonation.start")->actor_kind == "admin");
    REQUIRE(find("impersonation.stop") != trail.end());
    CHECK(find("impersonation.stop")->actor_kind == "impersonator");
    CHECK(find("impersonation.stop")->impersonator_id.has_value());

    // Suspending from the list signs the user out.
    users = admin.request("GET", "/admin/users");
    CHECK(admin.request("POST", "/admin/users", "email=viewer@acme.test&action=suspend&_csrf=" + Browser::csrf_of(users))
              .body.find("viewer@acme.test is suspended") != std::string::npos);
    CHECK(member.request("GET", "/blog").body.find("Sign out") == std::string::npos);
  });
}

TEST_CASE("an emailed invitation is accepted on a tenant host by the invited user, after signing in") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    auto org = world.orgs->create("acme-corp", "Acme Corp", people.outsider).value();
    auto invitation = world.orgs->invite(org.id, "viewer@acme.test", orgs::OrgRole::admin, people.outsider).value();
    Browser browser(world, "acme.localhost");
    auto anonymous = browser.request("GET", "/invitation?token=" + invitation.token);
    CHECK(anonymous.status == 303);
    CHECK(anonymous.headers["location"].starts_with("/sign-in?next=/invitation"));
    CHECK(browser.request("GET", "/invitation?token=" + std::string(64, 'e')).status == 404);

    REQUIRE(browser.sign_in("viewer@acme.test", kPassword).status == 303);
    auto page = browser.request("GET", "/invitation?token=" + invitation.token);
    CHECK(page.body.find("Join Acme Corp") != std::string::npos);
    auto accepted = browser.request("POST", "/invitation",
                                    "token=" + invitation.token + "&action=accept&_csrf=" + Browser::csrf_of(page));
    CHECK(accepted.body.find("You joined the organization Acme Corp — admin.") != std::string::npos);
    CHECK(world.orgs->role_of(org.id, people.viewer).value() == orgs::OrgRole::admin);
    auto again = browser.request("GET", "/invitation?token=" + invitation.token);
    CHECK(again.status == 403);
    CHECK(again.body.find("this invitation was accepted") != std::string::npos);
  });
}

TEST_CASE("passwordless sign-in by an emailed PIN: single use, a few tries, the same answer for unknown emails") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser browser(world, "acme.localhost");
    auto ask = [&](const std::string& email) {
      auto form = browser.request("GET", "/sign-in/pin");
      return browser.request("POST", "/sign-in/pin", "_csrf=" + Browser::csrf_of(form) + "&action=send&email=" + email);
    };
    auto unknown = ask("nobody@acme.test");
    auto known = ask("editor@acme.test");
    CHECK(unknown.status == 200);
    CHECK(known.body.find("If an account exists for that address") != std::string::npos);
    auto mail = world.outbox->latest().value();
    REQUIRE(mail.size() == 1);
    std::smatch pin;
    REQUIRE(std::regex_search(mail[0].body, pin, std::regex("code to sign in to Acme is ([0-9]{6})")));
    auto verify = [&](const std::string& code) {
      auto form = browser.request("GET", "/sign-in/pin");
      return browser.request("POST", "/sign-in/pin",
                             "_csrf=" + Browser::csrf_of(form) + "&action=verify&email=editor@acme.test&pin=" + code);
    };
    std::string wrong = pin[1].str() == "000000" ? "111111" : "000000";
    CHECK(verify(wrong).status == 401);
    CHECK_FALSE(browser.cookies.contains("calyx_session"));
    CHECK(verify(pin[1].str()).status == 303);
    CHECK(browser.cookies.contains("calyx_session"));
    CHECK(browser.request("GET", "/blog/editor").status == 200);
    Browser other(world, "acme.localhost");
    auto form = other.request("GET", "/sign-in/pin");
    CHECK(other.request("POST", "/sign-in/pin", "_csrf=" + Browser::csrf_of(form) + "&action=verify&email=editor@acme.test&pin=" +
                                                    pin[1].str())
              .status == 401);  // used
  });
}

TEST_CASE("changing the email needs the current password and a link sent to the new address") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    Browser browser(world, "acme.localhost");
    REQUIRE(browser.sign_in("editor@acme.test", kPassword).status == 303);
    auto page = browser.request("GET", "/account/security");
    auto csrf = Browser::csrf_of(page);
    CHECK(browser.request("POST", "/account/security", "action=email&email=new@acme.test&current=nope&_csrf=" + csrf)
              .body.find("the current password is wrong") != std::string::npos);
    CHECK(browser.request("POST", "/account/security",
                          "action=email&email=viewer@acme.test&current=correct+horse+battery&_csrf=" + csrf)
              .body.find("viewer@acme.test already has an account") != std::string::npos);
    auto asked = browser.request("POST", "/account/security",
                                 "action=email&email=New@Acme.test&current=correct+horse+battery&_csrf=" + csrf);
    CHECK(asked.body.find("We sent a link to the new address") != std::string::npos);
    auto mail = world.outbox->latest().value();
    REQUIRE(mail.size() == 2);
    CHECK(mail[0].to == "editor@acme.test");  // the old address is told
    CHECK(mail[1].to == "new@acme.test");
    CHECK(world.accounts->find_user(people.editor)->email == "editor@acme.test");  // nothing changed yet
    std::smatch token;
    REQUIRE(std::regex_search(mail[1].body, token, std::regex("/account/email\\?token=([0-9a-f]{64})")));
    CHECK(browser.request("GET", "/account/email?token=" + token[1].str()).body.find("now uses new@acme.test") !=
          std::string::npos);
    CHECK(browser.request("GET", "/account/email?token=" + token[1].str()).status == 403);  // used
    CHECK(world.accounts->find_user(people.editor)->email == "new@acme.test");
    CHECK(Browser(world, "acme.localhost").sign_in("new@acme.test", kPassword).status == 303);
  });
}

TEST_CASE("cookies are marked Secure when the host is served over TLS") {
  TestDatabase database(db::Backend::sqlite);
  FrontWorld world(database);
  web::SessionPages secure({*world.accounts, *world.memberships, *world.audit, *world.outbox, "localhost", false,
                            world.tenancy.get(), world.orgs.get(), /*secure_cookies=*/true});
  auto acme = world.tenancy->find("acme").value();
  http::Request request{http::bhttp::verb::get, "/sign-in", 11};
  request.set(http::bhttp::field::host, "acme.localhost");
  auto page = secure.handle(request, {"r1", "127.0.0.1"}, acme, {});
  CHECK(page[http::bhttp::field::set_cookie].find("; HttpOnly; SameSite=Lax; Secure") != std::string_view::npos);
  auto plain = world.sessions->handle(request, {"r2", "127.0.0.1"}, acme, {});
  CHECK(plain[http::bhttp::field::set_cookie].find("Secure") == std::string_view::npos);
}

TEST_CASE("an org's admins invite, resend and revoke from the org page; others may not") {
  testing::every_backend([](TestDatabase& database) {
    FrontWorld world(database);
    People people(world);
    auto org = world.orgs->create("acme-corp", "Acme Corp", people.outsider).value();
    REQUIRE(world.tenancy->set_org("acme", org.id).ok());
    REQUIRE(world.eventually("acme.localhost", "/org", 303));  // the running host knows acme's org now

    Browser viewer(world, "acme.localhost");
    REQUIRE(viewer.sign_in("viewer@acme.test", kPassword).status == 303);
    CHECK(viewer.request("GET", "/org").status == 403);

    Browser admin(world, "acme.localhost");
    REQUIRE(admin.sign_in("outsider@globex.test", kPassword).status == 303);
    auto page = admin.request("GET", "/org");
    CHECK(page.body.find("<h1>Acme Corp</h1>") != std::string::npos);
    auto invited = admin.request("POST", "/org", "action=invite&email=dana@acme.test&role=admin&_csrf=" + Browser::csrf_of(page));
    CHECK(invited.body.find("Invitation sent to dana@acme.test") != std::string::npos);
    auto mail = world.outbox->latest().value();
    REQUIRE(mail.size() == 1);
    CHECK(mail[0].subject == "You are invited to join Acme Corp");
    std::smatch first;
    REQUIRE(std::regex_search(mail[0].body, first, std::regex("token=([0-9a-f]{64})")));
    auto id = std::to_string(world.orgs->invitations(org.id).value().front().id);
    admin.request("POST", "/org", "action=resend&id=" + id + "&_csrf=" + Browser::csrf_of(page));
    CHECK(world.outbox->latest().value().size() == 2);
    CHECK_FALSE(world.orgs->invitation(first[1].str()).ok());  // the first link died with the resend
    auto revoked = admin.request("POST", "/org", "action=revoke&id=" + id + "&_csrf=" + Browser::csrf_of(page));
    CHECK(revoked.body.find("The invitation was revoked") != std::string::npos);
    CHECK(world.orgs->invitations(org.id).value().front().status == "revoked");
    CHECK(admin.request("POST", "/org", "action=revoke&id=999999&_csrf=" + Browser::csrf_of(page)).body.find("no such invitation") !=
          std::string::npos);
  });
}
