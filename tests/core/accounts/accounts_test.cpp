// Accounts, memberships, authorization layers and the audit log on both databases, below HTTP.
#include "support/tenancy_world.hpp"

#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>
#include <calyx/audit/audit_log.hpp>
#include <calyx/authz/authorize.hpp>
#include <calyx/orgs/memberships.hpp>
#include <calyx/orgs/orgs.hpp>

#include <doctest/doctest.h>
#include <sodium.h>
#include <soci/soci.h>

#include <regex>

using namespace calyx;
using calyx::testing::TenancyWorld;
using calyx::testing::TestDatabase;

TEST_CASE("passwords are argon2id hashes; weak passwords and bad emails are refused with why") {
  auto hash = accounts::hash_password("correct horse battery").value();
  CHECK(hash.starts_with("$argon2id$"));
  CHECK(accounts::verify_password(hash, "correct horse battery"));
  CHECK_FALSE(accounts::verify_password(hash, "correct horse batterY"));
  CHECK_FALSE(accounts::password_needs_rehash(hash));
  CHECK(accounts::check_password_strength("short", "a@b.co").error().message() ==
        "the password must have at least 10 characters");
  CHECK(accounts::check_password_strength("aaaaaaaaaaaa", "a@b.co").error().message() ==
        "the password must not repeat one or two characters");
  CHECK(accounts::check_password_strength("ann.smith@example.com", "ann.smith@example.com").error().message() ==
        "the password must not be the email address");
  CHECK(accounts::normalize_email("  Ann@Example.COM ").value() == "ann@example.com");
  for (const char* bad : {"ann", "@example.com", "ann@", "ann@example", "a@b@c.d", "ann <a@b.co>"}) {
    CAPTURE(bad);
    CHECK_FALSE(accounts::normalize_email(bad).ok());
  }
  CHECK(accounts::random_token() != accounts::random_token());
  CHECK(accounts::same_secret("abc", "abc"));
  CHECK_FALSE(accounts::same_secret("abc", "abd"));
}

TEST_CASE("users, sessions bound to one tenant, suspension and the last owner of a tenant") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme"), globex = world.create("globex");
    accounts::Accounts accounts(*world.pool);
    orgs::Memberships memberships(*world.pool);
    auto ann = accounts.create_user({"Ann@Example.com", "Ann", "correct horse battery", false, true});
    REQUIRE(ann.ok());
    CHECK(ann->email == "ann@example.com");
    CHECK(accounts.create_user({"ann@example.com", "", "correct horse battery", false, true}).error().message() ==
          "a user with the email ann@example.com exists");

    auto session = accounts.sign_in({"ann@example.com", "correct horse battery", "10.0.0.1", "test", acme.id});
    REQUIRE(session.ok());
    CHECK(session->token.size() == 64);
    CHECK(accounts.session(session->token, acme.id)->user.email == "ann@example.com");
    CHECK_FALSE(accounts.session(session->token, globex.id).ok());  // bound to acme
    CHECK_FALSE(accounts.session(std::string(64, '0'), acme.id).ok());
    CHECK(accounts.find_user(ann->id)->last_sign_in_ip == "10.0.0.1");
    {
      auto lease = world.pool->acquire();
      lease->session() << "UPDATE calyx_sessions SET last_seen_at = '2020-01-01T00:00:00Z'";
    }
    REQUIRE(accounts.session(session->token, acme.id).ok());  // using it records when
    CHECK(accounts.sessions_of(ann->id)->front().last_seen_at != "2020-01-01T00:00:00Z");
    auto second = accounts.sign_in({"ann@example.com", "correct horse battery", "10.0.0.1", "test", acme.id});
    CHECK(second->token != session->token);  // a new session id at every sign-in
    CHECK(accounts.session_count(ann->id).value() == 2);
    REQUIRE(accounts.end_sessions(ann->id, second->token).ok());
    CHECK_FALSE(accounts.session(session->token, acme.id).ok());
    CHECK(accounts.session(second->token, acme.id).ok());
    {  // an expired session is refused and removed
      auto third = accounts.sign_in({"ann@example.com", "correct horse battery", "10.0.0.1", "test", acme.id}).value();
      auto lease = world.pool->acquire();
      std::string digest = accounts::token_digest(third.token);
      lease->session() << "UPDATE calyx_sessions SET expires_at = 1 WHERE token_hash = :h", soci::use(digest);
      CHECK(accounts.session(third.token, acme.id).error().message() == "the session expired");
      CHECK(accounts.session_count(ann->id).value() == 1);
    }
    {  // an account no longer active (changed behind Accounts' back) loses its sessions at their next use
      auto lease = world.pool->acquire();
      long long id = ann->id;
      lease->session() << "UPDATE calyx_users SET status = 'suspended' WHERE id = :id", soci::use(id);
      CHECK(accounts.session(second->token, acme.id).error().message() == "the account is no longer active");
      CHECK(accounts.session_count(ann->id).value() == 0);
      lease->session() << "UPDATE calyx_users SET status = 'active' WHERE id = :id", soci::use(id);
      CHECK_FALSE(accounts.session(second->token, acme.id).ok());  // gone, not just refused
      second = accounts.sign_in({"ann@example.com", "correct horse battery", "10.0.0.1", "test", acme.id});
      REQUIRE(second.ok());
    }
    REQUIRE(accounts.set_status(ann->id, accounts::UserStatus::suspended).ok());
    CHECK_FALSE(accounts.session(second->token, acme.id).ok());
    CHECK(accounts.sign_in({"ann@example.com", "correct horse battery", "10.0.0.1", "", acme.id}).error().message() ==
          "this account is suspended");

    // Memberships: the last owner stays.
    REQUIRE(memberships.set_role(acme.id, ann->id, orgs::TenantRole::owner).ok());
    CHECK(memberships.set_role(acme.id, ann->id, orgs::TenantRole::member).error().message() ==
          "the last owner of a tenant cannot be demoted; make another member owner first");
    CHECK(memberships.remove(acme.id, ann->id).error().message() ==
          "the last owner of a tenant cannot be removed; make another member owner first");
    auto bob = accounts.create_user({"bob@example.com", "Bob", "another good one", false, true}).value();
    REQUIRE(memberships.set_role(acme.id, bob.id, orgs::TenantRole::owner).ok());
    REQUIRE(memberships.set_role(acme.id, ann->id, orgs::TenantRole::member).ok());
    CHECK(memberships.members(acme.id)->size() == 2);
    CHECK(memberships.grant_module_role(globex.id, bob.id, "blog.editor").error().message() ==
          "the user is not a member of this tenant");
  });
}

TEST_CASE("authorize: four layers in order, each naming itself; a prohibition beats every grant") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    const auto& registry = *world.registry;
    std::vector<std::string> modules{"blog"};
    authz::Subject nobody;
    CHECK(authz::authorize(nobody, registry, modules, "blog", "blog.posts.edit").layer == authz::Layer::tenant_access);
    authz::Subject stranger{7, false, std::nullopt};
    auto refused = authz::authorize(stranger, registry, modules, "blog", "blog.posts.edit");
    CHECK(refused.reason == "you are not a member of this workspace");
    authz::Subject viewer{7, false, orgs::Membership{orgs::TenantRole::member, {"blog.viewer"}, {}}};
    CHECK(authz::authorize(viewer, registry, {}, "blog", "blog.posts.view").layer == authz::Layer::module_access);
    CHECK(authz::authorize(viewer, registry, modules, "blog", "blog.posts.view"));
    auto missing = authz::authorize(viewer, registry, modules, "blog", "blog.posts.edit");
    CHECK_FALSE(missing);
    CHECK(missing.layer == authz::Layer::module_permission);
    authz::Subject admin{8, false, orgs::Membership{orgs::TenantRole::admin, {}, {"blog.posts.publish"}}};
    CHECK(authz::authorize(admin, registry, modules, "blog", "blog.posts.edit"));
    CHECK(authz::authorize(admin, registry, modules, "blog", "blog.posts.publish").reason ==
          "'blog.posts.publish' is prohibited for you in this workspace");
    authz::Subject platform{9, true, std::nullopt};
    CHECK(authz::authorize(platform, registry, modules, "blog", "blog.posts.publish"));
    CHECK(authz::permissions(viewer, registry, modules) == std::set<std::string, std::less<>>{"blog.posts.view"});
  });
}

TEST_CASE("the audit log is append-only and queryable by tenant and by user") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme");
    audit::AuditLog log(*world.pool);
    log.record({0, "", "user", 5, std::nullopt, acme.id, "session.sign_in", "ann@example.com", "{}", "10.0.0.1"});
    log.record({0, "", "system", std::nullopt, std::nullopt, std::nullopt, "user.created", "bob@example.com", "{}", ""});
    log.record({0, "", "impersonator", 5, 1, acme.id, "impersonation.start", "ann@example.com", R"({"why":"support"})", ""});
    auto tenant = log.for_tenant(acme.id).value();
    REQUIRE(tenant.size() == 2);
    CHECK(tenant[0].action == "impersonation.start");  // newest first
    CHECK(tenant[0].impersonator_id == 1);
    CHECK(tenant[1].ip == "10.0.0.1");
    CHECK(log.for_user(5).value().size() == 2);
  });
}

TEST_CASE("TOTP matches RFC 6238's test vectors; base32 matches RFC 4648") {
  using accounts::TotpAlgorithm;
  const std::string sha1 = "12345678901234567890";
  const std::string sha256 = "12345678901234567890123456789012";
  const std::string sha512 = "1234567890123456789012345678901234567890123456789012345678901234";
  struct Vector {
    std::int64_t time;
    const char *sha1, *sha256, *sha512;
  };
  for (auto v : {Vector{59, "94287082", "46119246", "90693936"}, Vector{1111111109, "07081804", "68084774", "25091201"},
                 Vector{1111111111, "14050471", "67062674", "99943326"}, Vector{1234567890, "89005924", "91819424", "93441116"},
                 Vector{2000000000, "69279037", "90698825", "38618901"}, Vector{20000000000, "65353130", "77737706", "47863826"}}) {
    CAPTURE(v.time);
    CHECK(accounts::totp_code(sha1, v.time, 8, TotpAlgorithm::sha1) == v.sha1);
    CHECK(accounts::totp_code(sha256, v.time, 8, TotpAlgorithm::sha256) == v.sha256);
    CHECK(accounts::totp_code(sha512, v.time, 8, TotpAlgorithm::sha512) == v.sha512);
  }
  CHECK(accounts::totp_matches(sha1, accounts::totp_code(sha1, 1000000 - 30), 1000000));  // one step of drift
  CHECK_FALSE(accounts::totp_matches(sha1, accounts::totp_code(sha1, 1000000 - 90), 1000000));
  CHECK(accounts::base32_encode("foobar") == "MZXW6YTBOI");
  CHECK(accounts::base32_decode("mzxw 6ytb oi======").value() == "foobar");
  CHECK_FALSE(accounts::base32_decode("not*base32").ok());
  CHECK(accounts::totp_uri("foobar", "Acme Inc", "ann@example.com") ==
        "otpauth://totp/Acme%20Inc:ann%40example.com?secret=MZXW6YTBOI&issuer=Acme%20Inc&algorithm=SHA1&digits=6&period=30");
  auto codes = accounts::new_backup_codes();
  CHECK(codes.size() == 10);
  CHECK(std::regex_match(codes[0], std::regex("[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}")));
}

TEST_CASE("orgs: members, the last admin, invitations sent, resent, revoked, accepted by the invited address only") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    accounts::Accounts accounts(*world.pool);
    orgs::Orgs orgs(*world.pool);
    auto ann = accounts.create_user({"ann@example.com", "Ann", "correct horse battery", false, true}).value();
    auto bob = accounts.create_user({"bob@example.com", "Bob", "correct horse battery", false, true}).value();
    auto org = orgs.create("initech", "Initech", ann.id);
    REQUIRE(org.ok());
    CHECK(orgs.create("initech", "Again", bob.id).error().message() == "an org with slug 'initech' already exists");
    CHECK(orgs.set_role(org->id, ann.id, orgs::OrgRole::member).error().message() == "the last admin of an org cannot be demoted");
    CHECK(orgs.remove_member(org->id, ann.id).error().message() == "the last admin of an org cannot be removed");
    auto tenant = world.create("initech-hq");
    REQUIRE(world.tenants->set_org("initech-hq", org->id).ok());
    CHECK(world.reload("initech-hq").org_id == org->id);

    auto first = orgs.invite(org->id, "Bob@Example.com", orgs::OrgRole::member, ann.id);
    REQUIRE(first.ok());
    CHECK(first->email == "bob@example.com");
    CHECK(orgs.invite(org->id, "bob@example.com", orgs::OrgRole::member, ann.id).error().message() ==
          "bob@example.com already has a pending invitation; resend it instead");
    auto second = orgs.resend(first->id);
    REQUIRE(second.ok());
    CHECK_FALSE(orgs.invitation(first->token).ok());  // the old link died
    CHECK(orgs.accept(second->token, ann.id, "ann@example.com").error().message() ==
          "this invitation is for bob@example.com; sign in with that address");
    REQUIRE(orgs.accept(second->token, bob.id, "bob@example.com").ok());
    CHECK(orgs.role_of(org->id, bob.id).value() == orgs::OrgRole::member);
    CHECK(orgs.accept(second->token, bob.id, "bob@example.com").error().message() == "this invitation was accepted");

    auto carol = orgs.invite(org->id, "carol@example.com", orgs::OrgRole::admin, ann.id).value();
    REQUIRE(orgs.reject(carol.token).ok());
    auto dave = orgs.invite(org->id, "dave@example.com", orgs::OrgRole::member, ann.id).value();
    REQUIRE(orgs.revoke(dave.id).ok());
    CHECK(orgs.invitation(dave.token).error().message() == "this invitation was revoked");
    auto erin = orgs.invite(org->id, "erin@example.com", orgs::OrgRole::member, ann.id).value();
    {
      auto lease = world.pool->acquire();
      long long id = erin.id;
      lease->session() << "UPDATE calyx_invitations SET expires_at = 1 WHERE id = :i", soci::use(id);
    }
    CHECK(orgs.invitation(erin.token).error().message() == "this invitation has expired; ask for a new one");
    auto statuses = orgs.invitations(org->id).value();
    REQUIRE(statuses.size() == 4);
    CHECK(statuses[0].status == "accepted");
    CHECK(statuses[1].status == "rejected");
    CHECK(statuses[2].status == "revoked");
    CHECK(orgs.members(org->id)->size() == 2);
    // An admin who accepts an invitation as a member stays admin (accepting never demotes).
    auto again = orgs.invite(org->id, "ann@example.com", orgs::OrgRole::member, bob.id).value();
    REQUIRE(orgs.accept(again.token, ann.id, "ann@example.com").ok());
    CHECK(orgs.role_of(org->id, ann.id).value() == orgs::OrgRole::admin);
  });
}

TEST_CASE("sign-in re-hashes a password made with old parameters, and throttles an address trying many accounts") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    auto acme = world.create("acme");
    accounts::Accounts accounts(*world.pool);
    auto ann = accounts.create_user({"ann@example.com", "Ann", "correct horse battery", false, true}).value();
    // A hash made with weaker parameters than today's, as an older release would have stored it.
    char old_hash[crypto_pwhash_STRBYTES];
    std::string password = "correct horse battery";
    REQUIRE(crypto_pwhash_str_alg(old_hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                                  crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13) == 0);
    auto stored = [&] {
      auto lease = world.pool->acquire();
      std::string hash;
      long long id = ann.id;
      lease->session() << "SELECT password_hash FROM calyx_users WHERE id = :id", soci::use(id), soci::into(hash);
      return hash;
    };
    {
      auto lease = world.pool->acquire();
      std::string hash(old_hash);
      long long id = ann.id;
      lease->session() << "UPDATE calyx_users SET password_hash = :h WHERE id = :id", soci::use(hash), soci::use(id);
    }
    CHECK(accounts::password_needs_rehash(stored()));
    REQUIRE(accounts.sign_in({"ann@example.com", password, "10.0.0.9", "", acme.id}).ok());
    CHECK_FALSE(accounts::password_needs_rehash(stored()));  // hashed again with today's parameters
    CHECK(accounts::verify_password(stored(), password));

    // One address guessing many accounts is slowed down like one account guessed many times.
    for (const char* email : {"a@example.com", "b@example.com", "c@example.com", "d@example.com"}) {
      CHECK(accounts.sign_in({email, "wrong password", "10.0.0.66", "", acme.id}).error().message() ==
            "the email or password is wrong");
    }
    auto locked = accounts.sign_in({"ann@example.com", password, "10.0.0.66", "", acme.id});
    REQUIRE_FALSE(locked.ok());
    CHECK(locked.error().message().starts_with("too many failed sign-ins; try again in"));
    CHECK(accounts.sign_in({"ann@example.com", password, "10.0.0.67", "", acme.id}).ok());  // another address is fine
  });
}

TEST_CASE("TOTP secrets are stored sealed with CALYX_SECRET_KEY, and two-factor needs the key") {
  testing::every_backend([](TestDatabase& database) {
    TenancyWorld world(database);
    accounts::AccountsOptions options;
    options.secret_key = "a-secret-key-of-at-least-thirty-two-characters";
    accounts::Accounts accounts(*world.pool, options);
    auto ann = accounts.create_user({"ann@example.com", "Ann", "correct horse battery", false, true}).value();
    auto secret = accounts.begin_totp(ann.id);
    REQUIRE(secret.ok());
    std::string stored;
    {
      auto lease = world.pool->acquire();
      long long id = ann.id;
      lease->session() << "SELECT totp_secret FROM calyx_users WHERE id = :id", soci::use(id), soci::into(stored);
    }
    CHECK(stored.starts_with("v1:"));
    CHECK(stored.find(accounts::base32_encode(*secret)) == std::string::npos);  // not the secret in clear
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    CHECK(accounts.enable_totp(ann.id, accounts::totp_code(*secret, now)).ok());
    // Another key cannot open it; no key at all refuses two-factor.
    accounts::AccountsOptions other = options;
    other.secret_key = "another-secret-key-of-at-least-thirty-two-chars";
    CHECK(accounts::Accounts(*world.pool, other).disable_totp(ann.id, "000000").error().message().find("does not open") !=
          std::string::npos);
    CHECK(accounts::Accounts(*world.pool).begin_totp(ann.id).error().message() == "two-factor sign-in is already on");
    auto bob = accounts.create_user({"bob@example.com", "Bob", "correct horse battery", false, true}).value();
    CHECK(accounts::Accounts(*world.pool).begin_totp(bob.id).error().message() == "two-factor sign-in needs CALYX_SECRET_KEY");
    // The operator's way out (a lost device, or a changed key): off without a code.
    REQUIRE(accounts::Accounts(*world.pool, other).reset_totp(ann.id).ok());
    CHECK_FALSE(accounts.totp_enabled(ann.id).value());
  });
}

TEST_CASE("account operations never hold two connections of one pool at once (a pool of one suffices)") {
  testing::every_backend([](TestDatabase& database) {
    auto one = TestDatabase::quick_options();
    one.size = 1;
    TenancyWorld world(database, one);
    auto acme = world.create("acme");
    accounts::Accounts accounts(*world.pool);
    orgs::Memberships memberships(*world.pool);
    auto registered = accounts.register_user({"ann@example.com", "Ann", "correct horse battery", false, false}, acme.id);
    REQUIRE_MESSAGE(registered.ok(), (registered.ok() ? "" : registered.error().message()));
    REQUIRE(accounts.confirm_email(registered->confirmation_token).ok());
    auto session = accounts.sign_in({"ann@example.com", "correct horse battery", "10.0.0.1", "", acme.id});
    REQUIRE_MESSAGE(session.ok(), (session.ok() ? "" : session.error().message()));
    CHECK(accounts.session(session->token, acme.id).ok());
    auto change = accounts.start_email_change(registered->user.id, "correct horse battery", "ann2@example.com", acme.id);
    REQUIRE(change.ok());
    CHECK(accounts.finish_email_change(*change).ok());
    REQUIRE(memberships.set_role(acme.id, registered->user.id, orgs::TenantRole::owner).ok());
    CHECK(memberships.members(acme.id)->size() == 1);
    auto reset = accounts.start_password_reset("ann2@example.com", acme.id);
    REQUIRE(reset.ok());
    CHECK(accounts.finish_password_reset(**reset, "a brand new secret").ok());
  });
}
