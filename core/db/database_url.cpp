// Parsing of CALYX_DATABASE_URL with Boost.URL, so percent-encoding and IPv6 hosts follow RFC 3986.
#include <calyx/db/database_url.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>

#include <charconv>

namespace calyx::db {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";

// Quotes a libpq keyword=value value: single quotes, with backslash and quote escaped.
std::string libpq_quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

Result<DatabaseUrl> parse_sqlite(std::string_view url) {
  DatabaseUrl parsed;
  parsed.backend = Backend::sqlite;
  std::string_view path = url.substr(kSqlitePrefix.size());
  // Accept sqlite:///abs/path and sqlite://relative as well as the plain sqlite:PATH form.
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) return Error::invalid_argument("sqlite URL has no file path (expected sqlite:PATH)");
  if (path == ":memory:") {
    return Error::invalid_argument("sqlite::memory: cannot be shared by a connection pool; give a file path");
  }
  // SOCI's sqlite3 connect string quotes with '"' and cannot escape it.
  if (path.find_first_of(std::string_view("\"\0", 2)) != std::string_view::npos) {
    return Error::invalid_argument("sqlite path must not contain '\"' or a NUL byte");
  }
  parsed.path = std::string(path);
  return parsed;
}

Result<DatabaseUrl> parse_postgresql(std::string_view text) {
  auto url = boost::urls::parse_uri(text);
  if (!url) return Error::invalid_argument(fmt::format("not a valid URL: {}", url.error().message()));
  DatabaseUrl parsed;
  parsed.backend = Backend::postgresql;
  if (!url->has_authority() || url->encoded_host().empty()) {
    return Error::invalid_argument("postgresql URL has no host (expected postgresql://user:pass@host:port/db)");
  }
  parsed.host = url->host_type() == boost::urls::host_type::ipv6 ? std::string(url->encoded_host_address())
                                                                  : std::string(url->host());
  if (url->has_port()) {
    std::string_view port = url->port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Error::invalid_argument(fmt::format("postgresql URL has a bad port '{}'", port));
    }
    parsed.port = static_cast<std::uint16_t>(value);
  }
  parsed.user = url->user();
  parsed.password = url->password();
  std::string path = url->path();
  if (path.starts_with('/')) path.erase(0, 1);
  if (path.empty()) return Error::invalid_argument("postgresql URL has no database name (expected .../dbname)");
  if (path.find('/') != std::string::npos) {
    return Error::invalid_argument(fmt::format("postgresql URL has a bad database name '{}'", path));
  }
  parsed.database = path;
  for (auto param : url->params()) {
    if (param.key.empty()) return Error::invalid_argument("postgresql URL has a query parameter without a name");
    parsed.options[param.key] = param.value;
  }
  return parsed;
}

}  // namespace

Result<DatabaseUrl> DatabaseUrl::parse(std::string_view url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return parse_postgresql(url);
  if (url.starts_with(kSqlitePrefix)) return parse_sqlite(url);
  return Error::invalid_argument("unsupported database URL: expected sqlite:PATH or postgresql://user:pass@host:port/db");
}

std::string DatabaseUrl::soci_connection_string() const {
  if (backend == Backend::sqlite) return "db=\"" + path + "\"";
  std::string out = fmt::format("host={} port={} dbname={}", libpq_quote(host), port, libpq_quote(database));
  if (!user.empty()) out += " user=" + libpq_quote(user);
  if (!password.empty()) out += " password=" + libpq_quote(password);
  for (const auto& [key, value] : options) out += fmt::format(" {}={}", key, libpq_quote(value));
  return out;
}

std::string DatabaseUrl::redacted() const {
  if (backend == Backend::sqlite) return "sqlite:" + path;
  std::string host_part = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string credentials = user.empty() ? "" : (password.empty() ? user : user + ":***") + "@";
  return fmt::format("postgresql://{}{}:{}/{}", credentials, host_part, port, database);
}

}  // namespace calyx::db
