// The host's configuration: every CALYX_* setting, read from the environment and optionally from a file
// (CALYX_CONFIG_FILE or --config; the environment wins over the file). Loading validates every value and
// fails with a message naming the variable and what is wrong, before anything is served.
// Thread-safety: Settings is a plain value, read-only once loaded.
#pragma once

#include <calyx/db/database_url.hpp>
#include <calyx/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::config {

enum class Mode { development, production };

struct Settings {
  Mode mode = Mode::development;                        // CALYX_ENV: development | production
  std::string database_url_text = "sqlite:var/calyx.db";  // CALYX_DATABASE_URL as given
  db::DatabaseUrl database;                             // ... parsed
  std::string listen_host = "127.0.0.1";                // CALYX_LISTEN host part
  std::uint16_t listen_port = 4000;                     // CALYX_LISTEN port part (0: any free port)
  std::string base_domain = "localhost";                // CALYX_BASE_DOMAIN
  std::optional<bool> secure_cookies;                   // CALYX_SECURE_COOKIES (default: on in production)
  std::string smtp_url;                                  // CALYX_SMTP_URL (empty: mail stays in the outbox)
  std::string modules_dir = "modules";                  // CALYX_MODULES_DIR
  bool modules_dir_explicit = false;                    // set by the operator: it must then exist
  bool multi_tenant_enabled = true;                     // CALYX_MULTI_TENANT_ENABLED
  std::string tenant_schema_prefix = "tenant_";         // CALYX_TENANT_SCHEMA_PREFIX
  bool create_tenant_schemas = true;                    // CALYX_CREATE_TENANT_SCHEMAS
  std::vector<std::string> reserved_tenants{"public", "www", "admin", "master"};  // CALYX_RESERVED_TENANTS
  std::string secret_key;                               // CALYX_SECRET_KEY (see ensure_secret_key)
  std::string default_tenant;                           // CALYX_DEFAULT_TENANT: slug served for unknown hosts
  std::string var_dir = "var";                          // CALYX_VAR_DIR: runtime state (SQLite, keys)
  std::string log_level = "info";                       // CALYX_LOG_LEVEL
  unsigned http_threads = 0;                            // CALYX_HTTP_THREADS (0: one per core)
  unsigned worker_threads = 0;                          // CALYX_WORKER_THREADS (0: pool size)
  int inline_handlers = -1;                             // CALYX_INLINE_HANDLERS (-1: I/O threads - 1)
  std::size_t db_pool_size = 8;                         // CALYX_DB_POOL_SIZE
  std::chrono::milliseconds db_pool_timeout{5000};      // CALYX_DB_POOL_TIMEOUT_MS
  std::size_t db_prepared_statements = 256;             // CALYX_DB_PREPARED_STATEMENTS
  std::size_t max_header_bytes = 16 * 1024;             // CALYX_MAX_HEADER_BYTES
  std::size_t max_body_bytes = 8 * 1024 * 1024;         // CALYX_MAX_BODY_BYTES
  std::chrono::milliseconds read_timeout{30000};        // CALYX_READ_TIMEOUT_MS: a whole request must arrive
  std::chrono::milliseconds idle_timeout{60000};        // CALYX_IDLE_TIMEOUT_MS: keep-alive between requests
  std::chrono::milliseconds shutdown_timeout{10000};    // CALYX_SHUTDOWN_TIMEOUT_MS: drain limit on SIGTERM
};

// Looks a variable up; the environment in production, a map in tests.
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment as a Lookup.
Lookup environment();

// Every variable Settings reads, for the config file's key check and for docs.
const std::vector<std::string_view>& known_variables();

// Reads and validates all settings. `config_file` (if not empty) is read first; CALYX_CONFIG_FILE in
// `env` names one too. Values from `env` win over the file's.
Result<Settings> load(const Lookup& env, const std::string& config_file = {});

// Parses a KEY=VALUE file (blank lines and # comments ignored, values optionally in quotes). Unknown keys
// are refused so a typo cannot silently fall back to a default.
Result<std::map<std::string, std::string>> read_config_file(const std::string& path);

// Production needs CALYX_SECRET_KEY. Development without one uses `<var_dir>/secret_key`, creating it
// (random, mode 0600) the first time, so sessions survive restarts.
Status ensure_secret_key(Settings& settings);

}  // namespace calyx::config
