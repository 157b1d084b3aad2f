// Two-factor sign-in: the TOTP secret, its activation with backup codes, and the code step of a sign-in.
#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>

#include <calyx/clock.hpp>

#include <fmt/format.h>
#include <soci/soci.h>
#include <sodium.h>

#include <algorithm>
#include <array>

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

// TOTP secrets are stored sealed with a key derived from CALYX_SECRET_KEY (XSalsa20-Poly1305, a random nonce
// per secret): a copy of the database alone does not give anyone the codes.
Result<std::array<unsigned char, crypto_secretbox_KEYBYTES>> sealing_key(const std::string& secret_key) {
  if (secret_key.empty()) return Error::unavailable("two-factor sign-in needs CALYX_SECRET_KEY");
  std::array<unsigned char, crypto_secretbox_KEYBYTES> key{};
  static constexpr std::string_view kContext = "calyx totp secrets v1";
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size(),
                     reinterpret_cast<const unsigned char*>(secret_key.data()), std::min<std::size_t>(secret_key.size(), 64));
  return key;
}

Result<std::string> seal(const std::string& secret_key, const std::string& secret) {
  auto key = sealing_key(secret_key);
  if (!key) return key.error();
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + secret.size(), '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(bytes, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(bytes + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(secret.data()),
                        secret.size(), bytes, key->data());
  return "v1:" + base32_encode(box);
}

Result<std::string> unseal(const std::string& secret_key, const std::string& stored) {
  auto key = sealing_key(secret_key);
  if (!key) return key.error();
  if (!stored.starts_with("v1:")) return Error::internal("unknown format of a stored TOTP secret");
  auto box = base32_decode(stored.substr(3));
  if (!box || box->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Error::internal("a stored TOTP secret is damaged");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(box->data());
  std::string secret(box->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(secret.data()), bytes + crypto_secretbox_NONCEBYTES,
                                 box->size() - crypto_secretbox_NONCEBYTES, bytes, key->data()) != 0) {
    return Error::internal("a stored TOTP secret does not open with this CALYX_SECRET_KEY (was the key changed?)");
  }
  return secret;
}

Result<std::string> stored_secret(db::ConnectionPool& pool, const std::string& secret_key, std::int64_t user_id) {
  std::string sealed;
  {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    try {
      long long id = user_id;
      lease->session() << "SELECT totp_secret FROM calyx_users WHERE id = :id", soci::use(id), soci::into(sealed);
    } catch (const std::exception& e) {
      return Error::failed("reading two-factor settings", e);
    }
  }
  if (sealed.empty()) return Error::conflict("two-factor sign-in was not started");
  return unseal(secret_key, sealed);
}

}  // namespace

Result<std::string> Accounts::begin_totp(std::int64_t user_id) {
  if (auto enabled = totp_enabled(user_id); !enabled || *enabled) {
    return enabled ? Error::conflict("two-factor sign-in is already on") : enabled.error();
  }
  std::string secret = new_totp_secret();
  auto encoded = seal(options_.secret_key, secret);
  if (!encoded) return encoded.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    lease->session() << "UPDATE calyx_users SET totp_secret = :s WHERE id = :id", soci::use(*encoded), soci::use(id);
  } catch (const std::exception& e) {
    return Error::failed("starting two-factor sign-in", e);
  }
  return secret;
}

Result<std::vector<std::string>> Accounts::enable_totp(std::int64_t user_id, std::string_view code) {
  auto secret = stored_secret(host_, options_.secret_key, user_id);
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
  auto secret = stored_secret(host_, options_.secret_key, user_id);
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

Status Accounts::reset_totp(std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    long long id = user_id;
    lease->session() << "UPDATE calyx_users SET totp_enabled = 0, totp_secret = '' WHERE id = :id", soci::use(id);
    lease->session() << "DELETE FROM calyx_backup_codes WHERE user_id = :id", soci::use(id);
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("resetting two-factor sign-in", e);
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
  auto secret = stored_secret(host_, options_.secret_key, user->id);
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
