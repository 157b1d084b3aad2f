// Users, sessions and sign-in throttling on the host database.
#include <calyx/accounts/accounts.hpp>
#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>

#include <calyx/db/dialect.hpp>

#include <calyx/clock.hpp>
#include <calyx/i18n/i18n.hpp>
#include <calyx/text.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>

namespace calyx::accounts {
namespace {

// A user's columns, read from `calyx_users u`, in the order UserRow binds them.
constexpr const char* kUserColumns =
    "u.id, u.email, u.name, u.status, u.platform_admin, COALESCE(u.confirmed_at, ''), COALESCE(u.last_sign_in_at, ''), "
    "COALESCE(u.last_sign_in_ip, ''), u.created_at, u.locale";

// Where a statement selecting kUserColumns puts them.
struct UserRow {
  User user;
  long long id = 0;
  int admin = 0;
  std::string status;
  soci::indicator found = soci::i_null;

  void bind(soci::statement& statement) {
    statement.exchange(soci::into(id, found));
    statement.exchange(soci::into(user.email));
    statement.exchange(soci::into(user.name));
    statement.exchange(soci::into(status));
    statement.exchange(soci::into(admin));
    statement.exchange(soci::into(user.confirmed_at));
    statement.exchange(soci::into(user.last_sign_in_at));
    statement.exchange(soci::into(user.last_sign_in_ip));
    statement.exchange(soci::into(user.created_at));
    statement.exchange(soci::into(user.locale));
  }
  // The user read, once the statement has run.
  Result<User> read() {
    if (found != soci::i_ok) return Error::not_found("no such user");
    user.id = id;
    user.platform_admin = admin != 0;
    user.status = parse_user_status(status).value();
    return user;
  }
};

// Reads one user row selected by `where` (with one bound value).
template <typename Value>
Result<User> read_user(db::ConnectionPool& pool, const std::string& where, Value value) {
  auto lease = pool.acquire();
  if (!lease) return lease.error();
  try {
    UserRow row;
    soci::statement statement(lease->session());
    row.bind(statement);
    statement.exchange(soci::use(value));
    db::dialect::prepare_once(statement, std::string("SELECT ") + kUserColumns + " FROM calyx_users u WHERE " + where);
    statement.execute(true);
    return row.read();
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
  email = text::trim(email);
  std::string out = text::ascii_lower(email);
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
  {  // the connection goes back before the user is read (no nested acquire from one pool)
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

Status Accounts::set_locale(std::int64_t user_id, std::string_view locale) {
  if (!locale.empty() && !i18n::supported(locale)) {
    return Error::invalid_argument(fmt::format("'{}' is not a supported language ({})", locale, i18n::supported_list()));
  }
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    std::string text(locale);
    long long id = user_id;
    soci::statement update = (lease->session().prepare << "UPDATE calyx_users SET locale = :l WHERE id = :id",
                              soci::use(text), soci::use(id));
    update.execute(true);
    if (update.get_affected_rows() == 0) return Error::not_found("no such user");
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the user's language", e);
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

Result<Session> Accounts::session(std::string_view token, std::int64_t tenant_id) {
  if (token.size() != 64) return Error::not_found("no session");
  std::string digest = token_digest(token);
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    // The session and its user in one query.
    Session out;
    UserRow row;
    long long tenant = 0, expires = 0, impersonator = 0;
    std::string last_seen;
    soci::indicator impersonated = soci::i_null;
    soci::statement statement(lease->session());
    statement.exchange(soci::into(tenant));
    statement.exchange(soci::into(out.csrf_token));
    statement.exchange(soci::into(impersonator, impersonated));
    statement.exchange(soci::into(expires));
    statement.exchange(soci::into(last_seen));
    row.bind(statement);
    statement.exchange(soci::use(digest));
    db::dialect::prepare_once(statement, std::string("SELECT s.tenant_id, s.csrf_token, s.impersonator_id, s.expires_at, "
                                                     "s.last_seen_at, ") +
                                             kUserColumns +
                                             " FROM calyx_sessions s JOIN calyx_users u ON u.id = s.user_id "
                                             "WHERE s.token_hash = :h");
    statement.execute(true);
    auto user = row.read();
    if (!user || tenant != tenant_id) return Error::not_found("no session");
    if (expires <= unix_now()) {
      lease->session() << "DELETE FROM calyx_sessions WHERE token_hash = :h", soci::use(digest);
      return Error::not_found("the session expired");
    }
    if (user->status != UserStatus::active) {
      long long user_id = user->id;
      lease->session() << "DELETE FROM calyx_sessions WHERE user_id = :u", soci::use(user_id);
      return Error::not_found("the account is no longer active");
    }
    // When the session was last used, to the minute: one write per minute at most, not one per request.
    std::string now = utc_now();
    if (last_seen.substr(0, 16) != now.substr(0, 16)) {
      lease->session() << "UPDATE calyx_sessions SET last_seen_at = :n WHERE token_hash = :h", soci::use(now),
          soci::use(digest);
    }
    out.tenant_id = tenant;
    out.expires_at = expires;
    if (impersonated == soci::i_ok) out.impersonator_id = impersonator;
    out.user = std::move(user.value());
    return out;
  } catch (const std::exception& e) {
    return Error::failed("reading the session", e);
  }
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

// Changes to the account itself ask for the current password again.
Status Accounts::check_current_password(std::int64_t user_id, std::string_view password) {
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
  if (!verify_password(hash, password)) return Error::denied("the current password is wrong");
  return Ok{};
}

Status Accounts::change_password(std::int64_t user_id, std::string_view current, std::string_view next,
                                 std::string_view keep_token) {
  if (auto ok = check_current_password(user_id, current); !ok) return ok;
  if (auto ok = set_password(user_id, next); !ok) return ok;
  return end_sessions(user_id, keep_token);
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

}  // namespace calyx::accounts
