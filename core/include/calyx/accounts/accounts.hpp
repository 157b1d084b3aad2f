// Users and their sessions. Users are global identities (email unique, stored normalised); a session is
// server-side, bound to the tenant whose host it was created on, and known to the browser only by a random
// token (kept here as a digest). Sign-in is throttled per account and per IP with growing delays, and answers
// the same whether the email exists or not.
// Thread-safety: all members are safe to call from several threads (state lives in the database).
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace calyx::accounts {

enum class UserStatus { active, suspended, deleted };
std::string_view to_string(UserStatus status);
Result<UserStatus> parse_user_status(std::string_view text);

// Lower case, trimmed; refused unless it looks like one address (local@domain.tld, at most 254 characters).
Result<std::string> normalize_email(std::string_view email);

struct User {
  std::int64_t id = 0;
  std::string email, name;
  UserStatus status = UserStatus::active;
  bool platform_admin = false;
  std::string confirmed_at, last_sign_in_at, last_sign_in_ip, created_at;  // empty: never
  std::string locale;  // the interface language the user chose; empty: the workspace's
};

struct NewUser {
  std::string email, name, password;
  bool platform_admin = false;
  bool confirmed = false;
};

struct Session {
  std::string token;  // only when just created: goes into the cookie, never stored
  // Set instead of `token` when the password was right but the user has two-factor sign-in: the second step
  // (complete_sign_in with a code) takes this token and opens the session.
  std::string second_factor;
  User user;
  std::int64_t tenant_id = 0;
  std::string csrf_token;  // forms of this session must send it back
  std::optional<std::int64_t> impersonator_id;
  std::int64_t expires_at = 0;  // Unix seconds
};

struct SignIn {
  std::string email, password, ip, user_agent;
  std::int64_t tenant_id = 0;
};

struct AccountsOptions {
  std::chrono::seconds session_lifetime{14 * 24 * 3600};
  int free_failures = 3;                        // failures before delays start
  std::chrono::seconds longest_lock{15 * 60};   // the delay doubles per failure up to this
  std::string secret_key;                       // CALYX_SECRET_KEY: seals TOTP secrets (two-factor needs it)
};

class Accounts {
 public:
  explicit Accounts(db::ConnectionPool& host, AccountsOptions options = {});

  Result<User> create_user(const NewUser& spec);
  Result<User> find_user(std::string_view email);
  Result<User> find_user(std::int64_t id);
  // Suspending or deleting also ends every session of the user.
  Status set_status(std::int64_t user_id, UserStatus status);
  Status set_password(std::int64_t user_id, std::string_view password);
  // The user's interface language ("en", "pt-BR"; empty: each workspace's default).
  Status set_locale(std::int64_t user_id, std::string_view locale);

  // A new session on `tenant_id` (a new token: no fixation). Refusals: "the email or password is wrong"
  // (also for an unknown email), "too many failed sign-ins; try again in N seconds", a suspended account.
  Result<Session> sign_in(const SignIn& attempt);
  // The live session a cookie names on this tenant; not_found when unknown, expired, of another tenant, or its
  // user is no longer active (such a session is removed).
  Result<Session> session(std::string_view token, std::int64_t tenant_id);
  Status sign_out(std::string_view token);
  // Ends every session of the user but the one named (empty: all).
  Status end_sessions(std::int64_t user_id, std::string_view keep_token = {});
  Result<std::size_t> session_count(std::int64_t user_id);
  struct SessionInfo {
    std::string token_hash;  // identifies it (the token itself is never stored)
    std::int64_t tenant_id = 0;
    std::string ip, user_agent, created_at, last_seen_at;
  };
  Result<std::vector<SessionInfo>> sessions_of(std::int64_t user_id);
  // Changing the password needs the current one; every other session of the user ends.
  Status change_password(std::int64_t user_id, std::string_view current, std::string_view next, std::string_view keep_token);

  // Two-factor sign-in. begin_totp stores a new secret (not yet required) and returns it; enable_totp turns it
  // on with a first code from the app and returns ten single-use backup codes (shown once); disable_totp needs a
  // current code. complete_sign_in finishes a sign-in that answered `second_factor`, with a TOTP or backup code.
  Result<std::string> begin_totp(std::int64_t user_id);
  Result<std::vector<std::string>> enable_totp(std::int64_t user_id, std::string_view code);
  Status disable_totp(std::int64_t user_id, std::string_view code);
  // An operator's reset, without a code (a lost phone and lost backup codes, or a changed CALYX_SECRET_KEY).
  Status reset_totp(std::int64_t user_id);
  Result<bool> totp_enabled(std::int64_t user_id);
  Result<Session> complete_sign_in(std::string_view second_factor, std::string_view code, std::string_view ip,
                                   std::string_view user_agent);

  // Every user, by email (platform administration).
  Result<std::vector<User>> list_users();
  // A session of `target` opened by platform admin `admin` on a tenant: it carries the admin as impersonator.
  // Refused unless `admin` is an active platform admin, and never for another platform admin.
  Result<Session> impersonate(const User& admin, std::string_view target_email, std::int64_t tenant_id, std::string_view ip,
                              std::string_view user_agent);

  // Self sign-up: an unconfirmed user and a confirmation token (valid a day). An email already taken is
  // refused with conflict (callers answer the same either way, and mail the owner instead).
  struct Registration {
    User user;
    std::string confirmation_token;
  };
  Result<Registration> register_user(const NewUser& spec, std::int64_t tenant_id);
  // Confirms the email a token was sent to (once, before it expires).
  Result<User> confirm_email(std::string_view token);

  // Passwordless sign-in: a 6-digit PIN for an active, confirmed user, valid 10 minutes (nullopt for anyone
  // else, so callers answer the same). Finishing with a wrong PIN counts as a failed sign-in (throttled like
  // passwords); the answer is a Session, or a pending second factor as after a password.
  Result<std::optional<std::string>> start_pin_sign_in(std::string_view email, std::int64_t tenant_id);
  Result<Session> finish_pin_sign_in(std::string_view email, std::string_view pin, std::int64_t tenant_id,
                                     std::string_view ip, std::string_view user_agent);

  // Changing the email: with the current password, a link (valid a day) to the new address; following it
  // makes the change. Returns the token to mail.
  Result<std::string> start_email_change(std::int64_t user_id, std::string_view current_password,
                                         std::string_view new_email, std::int64_t tenant_id);
  Result<User> finish_email_change(std::string_view token);

  // Password reset: a single-use token valid for an hour, for an active user; nullopt (and nothing stored)
  // for an unknown or inactive email, so callers answer the same either way.
  Result<std::optional<std::string>> start_password_reset(std::string_view email, std::int64_t tenant_id);
  // Sets the new password with a reset token (once, before it expires) and ends every session of the user.
  Result<User> finish_password_reset(std::string_view token, std::string_view new_password);

 private:
  Result<std::int64_t> locked_for(const std::string& subject);
  Status not_throttled(const std::string& subject);
  Status check_current_password(std::int64_t user_id, std::string_view password);
  Result<Session> first_factor_passed(const User& user, std::int64_t tenant_id, std::string_view ip,
                                      std::string_view user_agent);
  void record_failure(const std::string& subject);
  void clear_failures(const std::string& subject);
  Result<Session> open_session(const User& user, std::int64_t tenant_id, std::string_view ip, std::string_view user_agent,
                               std::optional<std::int64_t> impersonator = std::nullopt);
  Result<std::string> issue_token(std::int64_t user_id, std::string_view purpose, std::int64_t tenant_id,
                                  std::chrono::seconds lifetime);
  // The user a token was issued to, marking it used; refused when unknown, used, expired or for another purpose.
  Result<User> redeem_token(std::string_view token, std::string_view purpose);

  db::ConnectionPool& host_;
  AccountsOptions options_;
};

}  // namespace calyx::accounts
