// Two-factor sign-in: the TOTP secret, its activation with backup codes, and the code step of a sign-in.
#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>

#include <calyx/clock.hpp>

#include <fmt/format.h>
#include <soci/soci.h>
#include <sodium.h>

namespace calyx::accounts {

Result<bool> Accounts::totp_enabled(std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    int enabled = 0;
    lease->session() << "SELECT totp_enabled FROM calyx_users WHERE id = :id", soci::use(id), soci::into(enabled);
    return enabled != 0;
  } catch (const std::exception& e) {
    return Error::failed("reading two-factor settings", e);
  }
}

namespace {

Result<std::string> stored_secret(db::ConnectionPool& pool, std::int64_t user_id) {
  auto lease = pool.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    std::string secret;
    lease->session() << "SELECT totp_secret FROM calyx_users WHERE id = :id", soci::use(id), soci::into(secret);
    if (secret.empty()) return Error::conflict("two-factor sign-in was not started");
    return base32_decode(secret);
  } catch (const std::exception& e) {
    return Error::failed("reading two-factor settings", e);
  }
}

}  // namespace

Result<std::string> Accounts::begin_totp(std::int64_t user_id) {
  if (auto enabled = totp_enabled(user_id); !enabled || *enabled) {
    return enabled ? Error::conflict("two-factor sign-in is already on") : enabled.error();
  }
  std::string secret = new_totp_secret(), encoded = base32_encode(secret);
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    lease->session() << "UPDATE calyx_users SET totp_secret = :s WHERE id = :id", soci::use(encoded), soci::use(id);
  } catch (const std::exception& e) {
    return Error::failed("starting two-factor sign-in", e);
  }
  return secret;
}

Result<std::vector<std::string>> Accounts::enable_totp(std::int64_t user_id, std::string_view code) {
  auto secret = stored_secret(host_, user_id);
  if (!secret) return secret.error();
  if (!totp_matches(*secret, code, unix_now())) return Error::denied("that code is not right; check the app's clock");
  auto codes = new_backup_codes();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    long long id = user_id;
    lease->session() << "UPDATE calyx_users SET totp_enabled = 1 WHERE id = :id", soci::use(id);
    lease->session() << "DELETE FROM calyx_backup_codes WHERE user_id = :id", soci::use(id);
    for (const auto& backup : codes) {
      std::string digest = token_digest(backup);
      lease->session() << "INSERT INTO calyx_backup_codes (user_id, code_hash) VALUES (:u, :h)", soci::use(id),
          soci::use(digest);
    }
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed("turning on two-factor sign-in", e);
  }
  return codes;
}

Status Accounts::disable_totp(std::int64_t user_id, std::string_view code) {
  auto secret = stored_secret(host_, user_id);
  if (!secret) return secret.error();
  if (!totp_matches(*secret, code, unix_now())) return Error::denied("that code is not right");
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    lease->session() << "UPDATE calyx_users SET totp_enabled = 0, totp_secret = '' WHERE id = :id", soci::use(id);
    lease->session() << "DELETE FROM calyx_backup_codes WHERE user_id = :id", soci::use(id);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("turning off two-factor sign-in", e);
  }
}

Result<Session> Accounts::complete_sign_in(std::string_view second_factor, std::string_view code, std::string_view ip,
                                           std::string_view user_agent) {
  // Read the pending sign-in without spending it: a wrong code may be retried (counted as a failure).
  long long user_id = 0, tenant_id = 0, expires = 0;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      std::string digest = token_digest(second_factor);
      soci::indicator found = soci::i_null, used = soci::i_null;
      std::string used_at;
      lease->session() << "SELECT user_id, tenant_id, expires_at, used_at FROM calyx_user_tokens WHERE token_hash = :h "
                          "AND purpose = 'second_factor'",
          soci::use(digest), soci::into(user_id, found), soci::into(tenant_id), soci::into(expires),
          soci::into(used_at, used);
      if (found != soci::i_ok || used == soci::i_ok || expires <= unix_now()) {
        return Error::denied("the sign-in expired; enter your password again");
      }
    } catch (const std::exception& e) {
      return Error::failed("reading the sign-in", e);
    }
  }
  auto user = find_user(static_cast<std::int64_t>(user_id));
  if (!user) return user.error();
  std::string account = "email:" + user->email;
  if (auto open = not_throttled(account); !open) return open.error();
  auto secret = stored_secret(host_, user->id);
  if (!secret) return secret.error();
  bool ok = totp_matches(*secret, code, unix_now());
  if (!ok) {
    // A backup code works once.
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      std::string digest = token_digest(code), now = utc_now();
      long long id = user->id;
      soci::statement use_code = (lease->session().prepare << "UPDATE calyx_backup_codes SET used_at = :n WHERE user_id = :u "
                                                              "AND code_hash = :h AND used_at IS NULL",
                                  soci::use(now), soci::use(id), soci::use(digest));
      use_code.execute(true);
      ok = use_code.get_affected_rows() == 1;
    } catch (const std::exception& e) {
      return Error::failed("checking the backup code", e);
    }
  }
  if (!ok) {
    record_failure(account);
    return Error::denied("that code is not right");
  }
  clear_failures(account);
  if (auto spent = redeem_token(second_factor, "second_factor"); !spent) return spent.error();
  return open_session(*user, tenant_id, ip, user_agent);
}

}  // namespace calyx::accounts
