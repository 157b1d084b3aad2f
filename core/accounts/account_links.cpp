// Single-use tokens mailed to users, and the flows built on them: email confirmation, email change, password
// reset, passwordless sign-in by PIN.
#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>

#include <calyx/clock.hpp>

#include <fmt/format.h>
#include <soci/soci.h>
#include <sodium.h>

namespace calyx::accounts {

Result<std::string> Accounts::issue_token(std::int64_t user_id, std::string_view purpose, std::int64_t tenant_id,
                                          std::chrono::seconds lifetime) {
  std::string token = random_token(), digest = token_digest(token), what(purpose), now = utc_now();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long user = user_id, tenant = tenant_id, expires = unix_now() + lifetime.count();
    lease->session() << "INSERT INTO calyx_user_tokens (token_hash, user_id, purpose, tenant_id, expires_at, created_at) "
                        "VALUES (:h, :u, :p, :t, :x, :c)",
        soci::use(digest), soci::use(user), soci::use(what), soci::use(tenant), soci::use(expires), soci::use(now);
  } catch (const std::exception& e) {
    return Error::failed("issuing the token", e);
  }
  return token;
}

Result<User> Accounts::redeem_token(std::string_view token, std::string_view purpose) {
  long long user_id = 0;
  {  // the connection goes back before the user is read (no nested acquire from one pool)
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      db::Transaction tx(*lease);
      std::string digest = token_digest(token), what(purpose), now = utc_now();
      long long expires = 0;
      std::string used;
      soci::indicator found = soci::i_null, used_i = soci::i_null;
      lease->session() << "SELECT user_id, expires_at, used_at FROM calyx_user_tokens WHERE token_hash = :h AND purpose = :p",
          soci::use(digest), soci::use(what), soci::into(user_id, found), soci::into(expires), soci::into(used, used_i);
      if (found != soci::i_ok) return Error::denied("this link is not valid");
      if (used_i == soci::i_ok) return Error::denied("this link was used already; ask for a new one");
      if (expires <= unix_now()) return Error::denied("this link has expired; ask for a new one");
      lease->session() << "UPDATE calyx_user_tokens SET used_at = :n WHERE token_hash = :h", soci::use(now), soci::use(digest);
      tx.commit();
    } catch (const std::exception& e) {
      return Error::failed("reading the token", e);
    }
  }
  return find_user(static_cast<std::int64_t>(user_id));
}

Result<Accounts::Registration> Accounts::register_user(const NewUser& spec, std::int64_t tenant_id) {
  NewUser unconfirmed = spec;
  unconfirmed.confirmed = false;
  unconfirmed.platform_admin = false;
  auto user = create_user(unconfirmed);
  if (!user) return user.error();
  auto token = issue_token(user->id, "confirm_email", tenant_id, std::chrono::hours(24));
  if (!token) return token.error();
  return Registration{*user, *token};
}

Result<User> Accounts::confirm_email(std::string_view token) {
  auto user = redeem_token(token, "confirm_email");
  if (!user) return user.error();
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      long long id = user->id;
      std::string now = utc_now();
      lease->session() << "UPDATE calyx_users SET confirmed_at = :c WHERE id = :id AND confirmed_at IS NULL", soci::use(now),
          soci::use(id);
    } catch (const std::exception& e) {
      return Error::failed("confirming the email", e);
    }
  }
  return find_user(user->id);
}

Result<std::string> Accounts::start_email_change(std::int64_t user_id, std::string_view current_password,
                                                 std::string_view new_email, std::int64_t tenant_id) {
  auto email = normalize_email(new_email);
  if (!email) return email.error();
  if (auto ok = check_current_password(user_id, current_password); !ok) return ok.error();
  if (find_user(*email)) return Error::conflict(fmt::format("{} already has an account", *email));
  auto token = issue_token(user_id, "email_change", tenant_id, std::chrono::hours(24));
  if (!token) return token.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    std::string digest = token_digest(*token);
    lease->session() << "UPDATE calyx_user_tokens SET data = :d WHERE token_hash = :h", soci::use(*email), soci::use(digest);
  } catch (const std::exception& e) {
    return Error::failed("recording the new address", e);
  }
  return token;
}

Result<User> Accounts::finish_email_change(std::string_view token) {
  std::string new_email;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      std::string digest = token_digest(token);
      soci::indicator found = soci::i_null;
      lease->session() << "SELECT data FROM calyx_user_tokens WHERE token_hash = :h AND purpose = 'email_change'",
          soci::use(digest), soci::into(new_email, found);
    } catch (const std::exception& e) {
      return Error::failed("reading the token", e);
    }
  }
  auto user = redeem_token(token, "email_change");
  if (!user) return user.error();
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      int taken = 0;
      lease->session() << "SELECT COUNT(*) FROM calyx_users WHERE email = :e", soci::use(new_email), soci::into(taken);
      if (taken) return Error::conflict(fmt::format("{} already has an account", new_email));
      long long id = user->id;
      std::string now = utc_now();
      lease->session() << "UPDATE calyx_users SET email = :e, confirmed_at = :c WHERE id = :id", soci::use(new_email),
          soci::use(now), soci::use(id);
    } catch (const std::exception& e) {
      return Error::failed("changing the email", e);
    }
  }
  return find_user(user->id);
}

Result<std::optional<std::string>> Accounts::start_pin_sign_in(std::string_view email, std::int64_t tenant_id) {
  auto user = find_user(email);
  if (!user || user->status != UserStatus::active || user->confirmed_at.empty()) return std::optional<std::string>();
  if (sodium_init() < 0) return Error::internal("libsodium could not be initialised");
  std::string pin = fmt::format("{:06}", randombytes_uniform(1000000));
  std::string digest = token_digest(std::to_string(user->id) + ":" + pin), now = utc_now();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    long long id = user->id, tenant = tenant_id, expires = unix_now() + 600;
    // One PIN at a time: asking again replaces the previous one.
    lease->session() << "DELETE FROM calyx_user_tokens WHERE user_id = :u AND purpose = 'pin'", soci::use(id);
    lease->session() << "INSERT INTO calyx_user_tokens (token_hash, user_id, purpose, tenant_id, expires_at, created_at) "
                        "VALUES (:h, :u, 'pin', :t, :x, :c)",
        soci::use(digest), soci::use(id), soci::use(tenant), soci::use(expires), soci::use(now);
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed("issuing the PIN", e);
  }
  return std::optional<std::string>(pin);
}

Result<Session> Accounts::finish_pin_sign_in(std::string_view email, std::string_view pin, std::int64_t tenant_id,
                                             std::string_view ip, std::string_view user_agent) {
  auto normalized = normalize_email(email);
  std::string account = "email:" + (normalized ? *normalized : std::string(email));
  if (auto open = not_throttled(account); !open) return open.error();
  auto user = normalized ? find_user(*normalized) : Result<User>(Error::not_found("no such user"));
  auto spent = user ? redeem_token(std::to_string(user->id) + ":" + std::string(pin), "pin") : Result<User>(Error::denied(""));
  if (!spent) {
    record_failure(account);
    return Error::denied("that code is not right, or it expired");
  }
  if (user->status != UserStatus::active) return Error::denied("this account is suspended");
  clear_failures(account);
  return first_factor_passed(*user, tenant_id, ip, user_agent);
}

Result<std::optional<std::string>> Accounts::start_password_reset(std::string_view email, std::int64_t tenant_id) {
  auto user = find_user(email);
  if (!user || user->status != UserStatus::active) return std::optional<std::string>();
  auto token = issue_token(user->id, "password_reset", tenant_id, std::chrono::hours(1));
  if (!token) return token.error();
  return std::optional<std::string>(std::move(token.value()));
}

Result<User> Accounts::finish_password_reset(std::string_view token, std::string_view new_password) {
  // Check the password before spending the token, so a weak choice does not burn the link.
  std::string email;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      std::string digest = token_digest(token);
      soci::indicator found = soci::i_null;
      lease->session() << "SELECT u.email FROM calyx_user_tokens t JOIN calyx_users u ON u.id = t.user_id "
                          "WHERE t.token_hash = :h",
          soci::use(digest), soci::into(email, found);
    } catch (const std::exception& e) {
      return Error::failed("reading the token", e);
    }
  }
  if (!email.empty()) {
    if (auto ok = check_password_strength(new_password, email); !ok) return ok.error();
  }
  auto user = redeem_token(token, "password_reset");
  if (!user) return user.error();
  if (auto ok = set_password(user->id, new_password); !ok) return ok.error();
  if (auto ok = end_sessions(user->id); !ok) return ok.error();
  return user;
}

}  // namespace calyx::accounts
