// Users, sessions and sign-in throttling on the host database.
#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>

#include <calyx/db/dialect.hpp>

#include <calyx/clock.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>

namespace calyx::accounts {
namespace {

constexpr const char* kUserColumns =
    "id, email, name, status, platform_admin, COALESCE(confirmed_at, ''), COALESCE(last_sign_in_at, ''), "
    "COALESCE(last_sign_in_ip, ''), created_at";

// Reads one user row selected by `where` (with one bound value).
template <typename Value>
Result<User> read_user(db::ConnectionPool& pool, const std::string& where, Value value) {
  auto lease = pool.acquire();
  if (!lease) return lease.error();
  try {
    User u;
    long long id = 0;
    int admin = 0;
    std::string status;
    soci::indicator found = soci::i_null;
    lease->session() << std::string("SELECT ") + kUserColumns + " FROM calyx_users WHERE " + where,
        soci::into(id, found), soci::into(u.email), soci::into(u.name), soci::into(status), soci::into(admin),
        soci::into(u.confirmed_at), soci::into(u.last_sign_in_at), soci::into(u.last_sign_in_ip),
        soci::into(u.created_at), soci::use(value);
    if (found != soci::i_ok) return Error::not_found("no such user");
    u.id = id;
    u.platform_admin = admin != 0;
    u.status = parse_user_status(status).value();
    return u;
  } catch (const std::exception& e) {
    return Error::failed("reading the user", e);
  }
}

}  // namespace

std::string_view to_string(UserStatus status) {
  switch (status) {
    case UserStatus::active: return "active";
    case UserStatus::suspended: return "suspended";
    case UserStatus::deleted: return "deleted";
  }
  return "active";
}

Result<UserStatus> parse_user_status(std::string_view text) {
  if (text == "active") return UserStatus::active;
  if (text == "suspended") return UserStatus::suspended;
  if (text == "deleted") return UserStatus::deleted;
  return Error::invalid_argument(fmt::format("unknown user status '{}'", text));
}

Result<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) email.remove_suffix(1);
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  auto at = out.find('@');
  bool ok = out.size() <= 254 && at != std::string::npos && at > 0 && out.find('@', at + 1) == std::string::npos &&
            out.find('.', at) != std::string::npos && out.back() != '.' && out[at + 1] != '.';
  for (unsigned char c : out) ok = ok && c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != ',';
  if (!ok) return Error::invalid_argument(fmt::format("'{}' is not an email address", email));
  return out;
}

Accounts::Accounts(db::ConnectionPool& host, AccountsOptions options) : host_(host), options_(options) {}

Result<User> Accounts::create_user(const NewUser& spec) {
  auto email = normalize_email(spec.email);
  if (!email) return email.error();
  if (spec.name.size() > 100) return Error::invalid_argument("the name must have at most 100 characters");
  if (auto ok = check_password_strength(spec.password, *email); !ok) return ok.error();
  auto hash = hash_password(spec.password);
  if (!hash) return hash.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    int taken = 0;
    lease->session() << "SELECT COUNT(*) FROM calyx_users WHERE email = :e", soci::use(*email), soci::into(taken);
    if (taken) return Error::conflict(fmt::format("a user with the email {} exists", *email));
    std::string now = utc_now(), confirmed = spec.confirmed ? now : std::string();
    soci::indicator confirmed_indicator = spec.confirmed ? soci::i_ok : soci::i_null;
    int admin = spec.platform_admin ? 1 : 0;
    lease->session() << "INSERT INTO calyx_users (email, name, password_hash, status, platform_admin, confirmed_at, "
                        "created_at) VALUES (:e, :n, :h, 'active', :a, :c, :t)",
        soci::use(*email), soci::use(spec.name), soci::use(*hash), soci::use(admin),
        soci::use(confirmed, confirmed_indicator), soci::use(now);
  } catch (const std::exception& e) {
    return Error::failed("creating the user", e);
  }
  return find_user(*email);
}

Result<User> Accounts::find_user(std::string_view email) {
  auto normalized = normalize_email(email);
  if (!normalized) return normalized.error();
  return read_user(host_, "email = :e", *normalized);
}

Result<User> Accounts::find_user(std::int64_t id) { return read_user(host_, "id = :id", static_cast<long long>(id)); }

Status Accounts::set_status(std::int64_t user_id, UserStatus status) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    std::string text(to_string(status));
    long long id = user_id;
    soci::statement update = (lease->session().prepare << "UPDATE calyx_users SET status = :s WHERE id = :id",
                              soci::use(text), soci::use(id));
    update.execute(true);
    if (update.get_affected_rows() == 0) return Error::not_found("no such user");
    if (status != UserStatus::active) lease->session() << "DELETE FROM calyx_sessions WHERE user_id = :id", soci::use(id);
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the user's status", e);
  }
}

Status Accounts::set_password(std::int64_t user_id, std::string_view password) {
  auto user = find_user(user_id);
  if (!user) return user.error();
  if (auto ok = check_password_strength(password, user->email); !ok) return ok;
  auto hash = hash_password(password);
  if (!hash) return hash.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    lease->session() << "UPDATE calyx_users SET password_hash = :h WHERE id = :id", soci::use(*hash), soci::use(id);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the password", e);
  }
}

Result<std::int64_t> Accounts::locked_for(const std::string& subject) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long until = 0;
    soci::indicator found = soci::i_null;
    lease->session() << "SELECT locked_until FROM calyx_sign_in_failures WHERE subject = :s", soci::use(subject),
        soci::into(until, found);
    std::int64_t left = found == soci::i_ok ? until - unix_now() : 0;
    return std::max<std::int64_t>(0, left);
  } catch (const std::exception& e) {
    return Error::failed("reading sign-in failures", e);
  }
}

void Accounts::record_failure(const std::string& subject) {
  auto lease = host_.acquire();
  if (!lease) return;
  try {
    db::Transaction tx(*lease);
    int failures = 0;
    soci::indicator found = soci::i_null;
    lease->session() << "SELECT failures FROM calyx_sign_in_failures WHERE subject = :s", soci::use(subject),
        soci::into(failures, found);
    failures = found == soci::i_ok ? failures + 1 : 1;
    // Free tries first, then a delay that doubles with each failure, up to the longest lock.
    long long delay = failures <= options_.free_failures
                          ? 0
                          : std::min<long long>(1LL << std::min(failures - options_.free_failures, 20),
                                                options_.longest_lock.count());
    long long until = delay ? unix_now() + delay : 0;
    std::string now = utc_now();
    lease->session() << "DELETE FROM calyx_sign_in_failures WHERE subject = :s", soci::use(subject);
    lease->session() << "INSERT INTO calyx_sign_in_failures (subject, failures, locked_until, updated_at) "
                        "VALUES (:s, :f, :u, :t)",
        soci::use(subject), soci::use(failures), soci::use(until), soci::use(now);
    tx.commit();
  } catch (const std::exception&) {
    // Throttling is best effort: a failure to record never lets the sign-in through (it already failed).
  }
}

void Accounts::clear_failures(const std::string& subject) {
  auto lease = host_.acquire();
  if (!lease) return;
  try {
    lease->session() << "DELETE FROM calyx_sign_in_failures WHERE subject = :s", soci::use(subject);
  } catch (const std::exception&) {
  }
}

Result<Session> Accounts::sign_in(const SignIn& attempt) {
  auto email = normalize_email(attempt.email);
  std::string account = "email:" + (email ? *email : attempt.email), address = "ip:" + attempt.ip;
  for (const auto& subject : {account, address}) {
    if (auto open = not_throttled(subject); !open) return open.error();
  }
  auto user = email ? find_user(*email) : Result<User>(Error::not_found("no such user"));
  std::string hash;
  if (user) {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    long long id = user->id;
    lease->session() << "SELECT password_hash FROM calyx_users WHERE id = :id", soci::use(id), soci::into(hash);
  }
  // An unknown email costs a verification too, so timing does not tell which emails exist.
  static const std::string decoy = hash_password("decoy password for unknown emails").value();
  bool password_ok = verify_password(user ? hash : decoy, attempt.password) && user.ok();
  if (!password_ok) {
    record_failure(account);
    record_failure(address);
    return Error::denied("the email or password is wrong");
  }
  if (user->status != UserStatus::active) return Error::denied("this account is suspended");
  if (user->confirmed_at.empty()) return Error::denied("confirm your email first: follow the link we sent you");
  clear_failures(account);
  if (password_needs_rehash(hash)) (void)set_password(user->id, attempt.password);

  return first_factor_passed(*user, attempt.tenant_id, attempt.ip, attempt.user_agent);
}

Status Accounts::not_throttled(const std::string& subject) {
  auto locked = locked_for(subject);
  if (!locked) return locked.error();
  if (*locked > 0) return Error::unavailable(fmt::format("too many failed sign-ins; try again in {} seconds", *locked));
  return Ok{};
}

// After a password or an emailed PIN: the session, or the second-factor step when the user has one.
Result<Session> Accounts::first_factor_passed(const User& user, std::int64_t tenant_id, std::string_view ip,
                                              std::string_view user_agent) {
  if (auto enabled = totp_enabled(user.id); enabled && *enabled) {
    auto second = issue_token(user.id, "second_factor", tenant_id, std::chrono::minutes(5));
    if (!second) return second.error();
    Session pending;
    pending.user = user;
    pending.tenant_id = tenant_id;
    pending.second_factor = *second;
    return pending;
  }
  return open_session(user, tenant_id, ip, user_agent);
}

Result<Session> Accounts::open_session(const User& user, std::int64_t tenant_id, std::string_view ip,
                                       std::string_view user_agent, std::optional<std::int64_t> impersonator) {
  Session session;
  session.impersonator_id = impersonator;
  session.token = random_token();
  session.csrf_token = random_token();
  session.user = user;
  session.tenant_id = tenant_id;
  session.expires_at = unix_now() + options_.session_lifetime.count();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    std::string digest = token_digest(session.token), now = utc_now(), address(ip), agent(user_agent.substr(0, 300));
    long long user_id = user.id, tenant = tenant_id, expires = session.expires_at;
    long long impersonator_id = impersonator.value_or(0);
    soci::indicator impersonated = impersonator ? soci::i_ok : soci::i_null;
    lease->session() << "INSERT INTO calyx_sessions (token_hash, user_id, tenant_id, csrf_token, impersonator_id, ip, "
                        "user_agent, created_at, last_seen_at, expires_at) "
                        "VALUES (:h, :u, :t, :c, :i, :ip, :ua, :now, :now2, :x)",
        soci::use(digest), soci::use(user_id), soci::use(tenant), soci::use(session.csrf_token),
        soci::use(impersonator_id, impersonated), soci::use(address), soci::use(agent), soci::use(now), soci::use(now),
        soci::use(expires);
    if (impersonator) {
      tx.commit();
      return session;  // the target's last sign-in stays theirs
    }
    lease->session() << "UPDATE calyx_users SET last_sign_in_at = :t, last_sign_in_ip = :ip WHERE id = :id",
        soci::use(now), soci::use(address), soci::use(user_id);
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed("starting the session", e);
  }
  return session;
}

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

Result<Session> Accounts::session(std::string_view token, std::int64_t tenant_id) {
  if (token.size() != 64) return Error::not_found("no session");
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  Session out;
  try {
    std::string digest = token_digest(token);
    long long user_id = 0, tenant = 0, expires = 0, impersonator = 0;
    soci::indicator found = soci::i_null, impersonated = soci::i_null;
    lease->session() << "SELECT user_id, tenant_id, csrf_token, impersonator_id, expires_at FROM calyx_sessions "
                        "WHERE token_hash = :h",
        soci::use(digest), soci::into(user_id, found), soci::into(tenant), soci::into(out.csrf_token),
        soci::into(impersonator, impersonated), soci::into(expires);
    if (found != soci::i_ok || tenant != tenant_id) return Error::not_found("no session");
    if (expires <= unix_now()) {
      lease->session() << "DELETE FROM calyx_sessions WHERE token_hash = :h", soci::use(digest);
      return Error::not_found("the session expired");
    }
    out.tenant_id = tenant;
    out.expires_at = expires;
    if (impersonated == soci::i_ok) out.impersonator_id = impersonator;
    auto user = read_user(host_, "id = :id", user_id);
    if (!user) return user.error();
    if (user->status != UserStatus::active) {
      lease->session() << "DELETE FROM calyx_sessions WHERE user_id = :u", soci::use(user_id);
      return Error::not_found("the account is no longer active");
    }
    out.user = std::move(user.value());
  } catch (const std::exception& e) {
    return Error::failed("reading the session", e);
  }
  return out;
}

Status Accounts::sign_out(std::string_view token) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    std::string digest = token_digest(token);
    lease->session() << "DELETE FROM calyx_sessions WHERE token_hash = :h", soci::use(digest);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("ending the session", e);
  }
}

Status Accounts::end_sessions(std::int64_t user_id, std::string_view keep_token) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    std::string keep = keep_token.empty() ? std::string() : token_digest(keep_token);
    lease->session() << "DELETE FROM calyx_sessions WHERE user_id = :u AND token_hash <> :k", soci::use(id), soci::use(keep);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("ending sessions", e);
  }
}

Result<std::size_t> Accounts::session_count(std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long id = user_id;
    int count = 0;
    lease->session() << "SELECT COUNT(*) FROM calyx_sessions WHERE user_id = :u", soci::use(id), soci::into(count);
    return static_cast<std::size_t>(count);
  } catch (const std::exception& e) {
    return Error::failed("counting sessions", e);
  }
}

Result<std::vector<Accounts::SessionInfo>> Accounts::sessions_of(std::int64_t user_id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<SessionInfo> out;
  try {
    SessionInfo row;
    long long id = user_id, tenant = 0;
    soci::statement rows = (lease->session().prepare << "SELECT token_hash, tenant_id, ip, user_agent, created_at, last_seen_at "
                                                        "FROM calyx_sessions WHERE user_id = :u ORDER BY created_at DESC",
                            soci::use(id), soci::into(row.token_hash), soci::into(tenant), soci::into(row.ip),
                            soci::into(row.user_agent), soci::into(row.created_at), soci::into(row.last_seen_at));
    rows.execute();
    while (rows.fetch()) {
      row.tenant_id = tenant;
      out.push_back(row);
    }
  } catch (const std::exception& e) {
    return Error::failed("listing sessions", e);
  }
  return out;
}

Status Accounts::change_password(std::int64_t user_id, std::string_view current, std::string_view next,
                                 std::string_view keep_token) {
  std::string hash;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      long long id = user_id;
      lease->session() << "SELECT password_hash FROM calyx_users WHERE id = :id", soci::use(id), soci::into(hash);
    } catch (const std::exception& e) {
      return Error::failed("reading the password", e);
    }
  }
  if (!verify_password(hash, current)) return Error::denied("the current password is wrong");
  if (auto ok = set_password(user_id, next); !ok) return ok;
  return end_sessions(user_id, keep_token);
}

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
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  long long user_id = 0;
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
  return find_user(static_cast<std::int64_t>(user_id));
}

Result<std::vector<User>> Accounts::list_users() {
  std::vector<long long> ids;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      long long id = 0;
      soci::statement rows = (lease->session().prepare << "SELECT id FROM calyx_users ORDER BY email", soci::into(id));
      rows.execute();
      while (rows.fetch()) ids.push_back(id);
    } catch (const std::exception& e) {
      return Error::failed("listing users", e);
    }
  }
  std::vector<User> out;
  for (long long id : ids) {
    auto user = find_user(static_cast<std::int64_t>(id));
    if (!user) return user.error();
    out.push_back(std::move(user.value()));
  }
  return out;
}

Result<Session> Accounts::impersonate(const User& admin, std::string_view target_email, std::int64_t tenant_id,
                                      std::string_view ip, std::string_view user_agent) {
  if (!admin.platform_admin || admin.status != UserStatus::active) {
    return Error::denied("only platform admins may impersonate");
  }
  auto target = find_user(target_email);
  if (!target) return Error::not_found(fmt::format("no user {}", target_email));
  if (target->platform_admin) return Error::denied("a platform admin cannot be impersonated");
  if (target->status != UserStatus::active) return Error::denied("that account is suspended");
  return open_session(*target, tenant_id, ip, user_agent, admin.id);
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
  return find_user(user->id);
}

Result<std::string> Accounts::start_email_change(std::int64_t user_id, std::string_view current_password,
                                                 std::string_view new_email, std::int64_t tenant_id) {
  auto email = normalize_email(new_email);
  if (!email) return email.error();
  std::string hash;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      long long id = user_id;
      lease->session() << "SELECT password_hash FROM calyx_users WHERE id = :id", soci::use(id), soci::into(hash);
    } catch (const std::exception& e) {
      return Error::failed("reading the password", e);
    }
  }
  if (!verify_password(hash, current_password)) return Error::denied("the current password is wrong");
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
