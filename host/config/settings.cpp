// Loading and validating the CALYX_* settings. Each parse_* helper returns a message without the variable
// name; load() puts the name in front, so every error reads "CALYX_X: what is wrong".
#include "config/settings.hpp"

#include <calyx/db/dialect.hpp>
#include <calyx/text.hpp>

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <calyx/mail/smtp.hpp>

#include <fcntl.h>
#include <unistd.h>

namespace calyx::config {
namespace {

const std::vector<std::string_view> kVariables = {
    "CALYX_ENV",           "CALYX_DATABASE_URL",         "CALYX_LISTEN",
    "CALYX_BASE_DOMAIN",   "CALYX_MODULES_DIR",          "CALYX_MULTI_TENANT_ENABLED",
    "CALYX_TENANT_SCHEMA_PREFIX", "CALYX_CREATE_TENANT_SCHEMAS", "CALYX_RESERVED_TENANTS",
    "CALYX_SECRET_KEY",    "CALYX_VAR_DIR",              "CALYX_LOG_LEVEL",
    "CALYX_HTTP_THREADS",  "CALYX_WORKER_THREADS",       "CALYX_DB_POOL_SIZE",
    "CALYX_DB_POOL_TIMEOUT_MS", "CALYX_MAX_HEADER_BYTES", "CALYX_MAX_BODY_BYTES",
    "CALYX_READ_TIMEOUT_MS", "CALYX_IDLE_TIMEOUT_MS",    "CALYX_SHUTDOWN_TIMEOUT_MS",
    "CALYX_CONFIG_FILE",   "CALYX_DEFAULT_TENANT",       "CALYX_INLINE_HANDLERS",
    "CALYX_SMTP_URL",      "CALYX_SECURE_COOKIES",       "CALYX_DB_PREPARED_STATEMENTS",
};

constexpr std::size_t kMinSecretKeyLength = 32;

std::string trim(std::string_view s) { return std::string(text::trim(s)); }

Result<bool> parse_bool(std::string_view raw) {
  std::string value = text::ascii_lower(text::trim(raw));
  if (value == "true" || value == "1" || value == "yes" || value == "on") return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  return Error::invalid_argument(fmt::format("'{}' is not a boolean (use true or false)", raw));
}

Result<unsigned long long> parse_number(std::string_view text, unsigned long long min, unsigned long long max) {
  unsigned long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid_argument(fmt::format("'{}' is not a whole number", text));
  }
  if (value < min || value > max) {
    return Error::invalid_argument(fmt::format("{} is out of range ({} to {})", value, min, max));
  }
  return value;
}

// A DNS host name: dot-separated labels of letters, digits and inner dashes, 1-63 bytes each, 253 in all.
bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

struct Listen {
  std::string host;
  std::uint16_t port;
};

Result<Listen> parse_listen(std::string_view text) {
  std::string_view host, port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error::invalid_argument(fmt::format("'{}' is not [IPV6]:PORT", text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Error::invalid_argument(fmt::format("'{}' is not HOST:PORT (for example 127.0.0.1:4000)", text));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return Error::invalid_argument(fmt::format("'{}' has no host (for example 0.0.0.0:4000)", text));
  auto number = parse_number(port, 0, 65535);
  if (!number) return Error::invalid_argument(fmt::format("'{}' has a bad port: {}", text, number.error().message()));
  return Listen{std::string(host), static_cast<std::uint16_t>(*number)};
}

Result<std::vector<std::string>> parse_reserved(std::string_view text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string name = trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!name.empty()) {
      bool valid = (name[0] >= 'a' && name[0] <= 'z') &&
                   std::all_of(name.begin(), name.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                   });
      if (!valid) {
        return Error::invalid_argument(fmt::format(
            "'{}' is not a tenant name (lower-case letters, digits, '-' and '_', starting with a letter)", name));
      }
      names.push_back(name);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return names;
}

// Reads variable `name` from env (else file); returns nullopt when unset.
class Source {
 public:
  Source(const Lookup& env, std::map<std::string, std::string> file) : env_(env), file_(std::move(file)) {}
  std::optional<std::string> get(std::string_view name) const {
    if (auto value = env_(name)) return value;
    if (auto it = file_.find(std::string(name)); it != file_.end()) return it->second;
    return std::nullopt;
  }

 private:
  const Lookup& env_;
  std::map<std::string, std::string> file_;
};

// Applies `parse` to the variable if set; a failure becomes "NAME: message".
template <typename Parse>
Status read(const Source& source, std::string_view name, Parse&& parse) {
  auto value = source.get(name);
  if (!value) return Ok{};
  Status parsed = parse(*value);
  if (!parsed) return Error::invalid_argument(fmt::format("{}: {}", name, parsed.error().message()));
  return Ok{};
}

Status read_number(const Source& source, std::string_view name, unsigned long long min, unsigned long long max,
                   const std::function<void(unsigned long long)>& assign) {
  return read(source, name, [&](const std::string& value) -> Status {
    auto number = parse_number(trim(value), min, max);
    if (!number) return number.error();
    assign(*number);
    return Ok{};
  });
}

}  // namespace

Lookup environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

const std::vector<std::string_view>& known_variables() { return kVariables; }

Result<std::map<std::string, std::string>> read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::not_found(fmt::format("cannot read config file '{}'", path));
  std::map<std::string, std::string> values;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    if (text.starts_with("export ")) text = trim(text.substr(7));
    auto equals = text.find('=');
    if (equals == std::string::npos) {
      return Error::invalid_argument(fmt::format("{}:{}: expected KEY=VALUE", path, number));
    }
    std::string key = trim(text.substr(0, equals));
    std::string value = trim(text.substr(equals + 1));
    if (std::find(kVariables.begin(), kVariables.end(), key) == kVariables.end()) {
      return Error::invalid_argument(fmt::format("{}:{}: unknown setting '{}'", path, number, key));
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    values[key] = value;
  }
  return values;
}

Result<Settings> load(const Lookup& env, const std::string& config_file) {
  std::string file_path = config_file;
  if (file_path.empty()) file_path = env("CALYX_CONFIG_FILE").value_or("");
  std::map<std::string, std::string> file_values;
  if (!file_path.empty()) {
    auto read_file = read_config_file(file_path);
    if (!read_file) return read_file.error().with_context("CALYX_CONFIG_FILE");
    file_values = std::move(read_file.value());
  }
  Source source(env, std::move(file_values));
  Settings s;
  std::vector<Status> steps;

  steps.push_back(read(source, "CALYX_ENV", [&](const std::string& value) -> Status {
    if (value == "development" || value == "dev") s.mode = Mode::development;
    else if (value == "production" || value == "prod") s.mode = Mode::production;
    else return Error::invalid_argument(fmt::format("'{}' is not development or production", value));
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_VAR_DIR", [&](const std::string& value) -> Status {
    if (trim(value).empty()) return Error::invalid_argument("must not be empty");
    s.var_dir = value;
    return Ok{};
  }));
  s.database_url_text = "sqlite:" + s.var_dir + "/calyx.db";
  steps.push_back(read(source, "CALYX_DATABASE_URL", [&](const std::string& value) -> Status {
    s.database_url_text = value;
    return Ok{};
  }));
  steps.push_back([&]() -> Status {
    auto url = db::DatabaseUrl::parse(s.database_url_text);
    if (!url) return url.error().with_context("CALYX_DATABASE_URL");
    s.database = std::move(url.value());
    return Ok{};
  }());
  steps.push_back(read(source, "CALYX_LISTEN", [&](const std::string& value) -> Status {
    auto listen = parse_listen(trim(value));
    if (!listen) return listen.error();
    s.listen_host = listen->host;
    s.listen_port = listen->port;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_BASE_DOMAIN", [&](const std::string& value) -> Status {
    std::string domain = trim(value);
    if (domain.ends_with('.')) domain.pop_back();
    if (!is_host_name(domain)) {
      return Error::invalid_argument(fmt::format(
          "'{}' is not a host name (lower-case labels of letters, digits and dashes, e.g. example.com)", value));
    }
    s.base_domain = domain;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_SMTP_URL", [&](const std::string& value) -> Status {
    auto server = mail::SmtpServer::parse(trim(value));
    if (!server) return server.error();
    s.smtp_url = trim(value);
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_MODULES_DIR", [&](const std::string& value) -> Status {
    if (value.empty()) return Error::invalid_argument("must not be empty");
    std::error_code ec;
    if (!std::filesystem::is_directory(value, ec)) {
      return Error::invalid_argument(fmt::format("'{}' is not a directory", value));
    }
    s.modules_dir = value;
    s.modules_dir_explicit = true;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_MULTI_TENANT_ENABLED", [&](const std::string& value) -> Status {
    auto flag = parse_bool(value);
    if (!flag) return flag.error();
    s.multi_tenant_enabled = *flag;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_TENANT_SCHEMA_PREFIX", [&](const std::string& value) -> Status {
    // The prefix plus a 40-character slug must stay a valid PostgreSQL identifier (63 bytes).
    if (!db::dialect::is_valid_identifier(value) || value.size() > 23) {
      return Error::invalid_argument(fmt::format(
          "'{}' is not a schema prefix (lower-case letters, digits and '_', starting with a letter or '_', at most "
          "23 characters)",
          value));
    }
    if (value.starts_with("pg_")) return Error::invalid_argument("'pg_' prefixes are reserved by PostgreSQL");
    s.tenant_schema_prefix = value;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_CREATE_TENANT_SCHEMAS", [&](const std::string& value) -> Status {
    auto flag = parse_bool(value);
    if (!flag) return flag.error();
    s.create_tenant_schemas = *flag;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_SECURE_COOKIES", [&](const std::string& value) -> Status {
    auto flag = parse_bool(value);
    if (!flag) return flag.error();
    s.secure_cookies = *flag;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_RESERVED_TENANTS", [&](const std::string& value) -> Status {
    auto names = parse_reserved(value);
    if (!names) return names.error();
    s.reserved_tenants = std::move(names.value());
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_SECRET_KEY", [&](const std::string& value) -> Status {
    if (value.size() < kMinSecretKeyLength) {
      return Error::invalid_argument(fmt::format("too short ({} characters); use at least {} random characters",
                                                 value.size(), kMinSecretKeyLength));
    }
    s.secret_key = value;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_DEFAULT_TENANT", [&](const std::string& value) -> Status {
    if (!value.empty() && !(value[0] >= 'a' && value[0] <= 'z' &&
                            std::all_of(value.begin(), value.end(), [](char c) {
                              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                            }))) {
      return Error::invalid_argument(fmt::format("'{}' is not a tenant slug", value));
    }
    s.default_tenant = value;
    return Ok{};
  }));
  steps.push_back(read(source, "CALYX_LOG_LEVEL", [&](const std::string& value) -> Status {
    static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), value) == levels.end()) {
      return Error::invalid_argument(
          fmt::format("'{}' is not a log level (trace, debug, info, warn, error, critical, off)", value));
    }
    s.log_level = value;
    return Ok{};
  }));
  steps.push_back(read_number(source, "CALYX_HTTP_THREADS", 0, 256, [&](auto v) { s.http_threads = unsigned(v); }));
  steps.push_back(read_number(source, "CALYX_WORKER_THREADS", 0, 1024, [&](auto v) { s.worker_threads = unsigned(v); }));
  steps.push_back(read_number(source, "CALYX_INLINE_HANDLERS", 0, 256, [&](auto v) { s.inline_handlers = int(v); }));
  steps.push_back(read_number(source, "CALYX_DB_POOL_SIZE", 1, 1024, [&](auto v) { s.db_pool_size = v; }));
  steps.push_back(read_number(source, "CALYX_DB_PREPARED_STATEMENTS", 0, 65536,
                              [&](auto v) { s.db_prepared_statements = v; }));
  steps.push_back(read_number(source, "CALYX_DB_POOL_TIMEOUT_MS", 1, 600000,
                              [&](auto v) { s.db_pool_timeout = std::chrono::milliseconds(v); }));
  steps.push_back(read_number(source, "CALYX_MAX_HEADER_BYTES", 1024, 1024 * 1024, [&](auto v) { s.max_header_bytes = v; }));
  steps.push_back(read_number(source, "CALYX_MAX_BODY_BYTES", 0, 1024ULL * 1024 * 1024, [&](auto v) { s.max_body_bytes = v; }));
  steps.push_back(read_number(source, "CALYX_READ_TIMEOUT_MS", 10, 3600000,
                              [&](auto v) { s.read_timeout = std::chrono::milliseconds(v); }));
  steps.push_back(read_number(source, "CALYX_IDLE_TIMEOUT_MS", 10, 3600000,
                              [&](auto v) { s.idle_timeout = std::chrono::milliseconds(v); }));
  steps.push_back(read_number(source, "CALYX_SHUTDOWN_TIMEOUT_MS", 0, 3600000,
                              [&](auto v) { s.shutdown_timeout = std::chrono::milliseconds(v); }));

  for (auto& step : steps) {
    if (!step) return step.error();
  }
  return s;
}

Status ensure_secret_key(Settings& settings) {
  if (!settings.secret_key.empty()) return Ok{};
  if (settings.mode == Mode::production) {
    return Error::invalid_argument(
        "CALYX_SECRET_KEY: not set; production mode (CALYX_ENV=production) refuses to start without a secret key "
        "(generate one with: openssl rand -hex 32)");
  }
  std::filesystem::path file = std::filesystem::path(settings.var_dir) / "secret_key";
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::ifstream in(file);
    std::string key;
    std::getline(in, key);
    if (key.size() < kMinSecretKeyLength) {
      return Error::invalid_argument(fmt::format("CALYX_SECRET_KEY: the development key in {} is too short; delete "
                                                 "it to have a new one generated",
                                                 file.string()));
    }
    settings.secret_key = key;
    return Ok{};
  }
  std::filesystem::create_directories(settings.var_dir, ec);
  if (ec) {
    return Error::unavailable(
        fmt::format("CALYX_VAR_DIR: cannot create '{}': {}", settings.var_dir, ec.message()));
  }
  if (sodium_init() < 0) return Error::internal("libsodium failed to initialize");
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  // Created with mode 0600 from the start: the key is never readable by others, not even for a moment.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error::unavailable(fmt::format("CALYX_VAR_DIR: cannot create {}", file.string()));
  std::string line = std::string(hex) + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) return Error::unavailable(fmt::format("CALYX_VAR_DIR: cannot write {}", file.string()));
  settings.secret_key = hex;
  return Ok{};
}

}  // namespace calyx::config
