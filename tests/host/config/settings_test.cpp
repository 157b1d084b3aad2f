// Configuration: every variable accepts a good value and refuses a bad one with its name in the message;
// the optional file; the secret key rules of production and development.
#include "config/settings.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace calyx;
using calyx::config::Settings;

namespace {

config::Lookup env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

Settings load_ok(std::map<std::string, std::string> values) {
  auto settings = config::load(env(std::move(values)));
  REQUIRE_MESSAGE(settings.ok(), (settings.ok() ? "" : settings.error().message()));
  return *settings;
}

// Loading with `name=value` fails, and the message starts with the variable's name.
void refused(const std::string& name, const std::string& value, const std::string& reason) {
  CAPTURE(name);
  CAPTURE(value);
  auto settings = config::load(env({{name, value}}));
  REQUIRE_FALSE(settings.ok());
  CHECK(settings.error().message().starts_with(name + ": "));
  CHECK(settings.error().message().find(reason) != std::string::npos);
}

}  // namespace

TEST_CASE("with nothing set, the defaults of the brief apply") {
  Settings s = load_ok({});
  CHECK(s.mode == config::Mode::development);
  CHECK(s.database.backend == db::Backend::sqlite);
  CHECK(s.database.path == "var/calyx.db");
  CHECK(s.listen_host == "127.0.0.1");
  CHECK(s.listen_port == 4000);
  CHECK(s.multi_tenant_enabled);
  CHECK(s.tenant_schema_prefix == "tenant_");
  CHECK(s.create_tenant_schemas);
  CHECK(s.reserved_tenants == std::vector<std::string>{"public", "www", "admin", "master"});
  CHECK(s.secret_key.empty());
}

TEST_CASE("CALYX_DATABASE_URL") {
  CHECK(load_ok({{"CALYX_DATABASE_URL", "postgresql://u:p@db:5433/calyx"}}).database.port == 5433);
  CHECK(load_ok({{"CALYX_VAR_DIR", "/srv/calyx"}}).database.path == "/srv/calyx/calyx.db");
  refused("CALYX_DATABASE_URL", "mysql://x/y", "unsupported database URL");
  refused("CALYX_DATABASE_URL", "postgresql://u@db:5432/", "no database name");
}

TEST_CASE("CALYX_LISTEN") {
  Settings s = load_ok({{"CALYX_LISTEN", "0.0.0.0:8080"}});
  CHECK(s.listen_host == "0.0.0.0");
  CHECK(s.listen_port == 8080);
  CHECK(load_ok({{"CALYX_LISTEN", "[::1]:4001"}}).listen_host == "::1");
  refused("CALYX_LISTEN", "4000", "is not HOST:PORT");
  refused("CALYX_LISTEN", "localhost:http", "bad port");
  refused("CALYX_LISTEN", "localhost:70000", "bad port");
  refused("CALYX_LISTEN", ":4000", "has no host");
}

TEST_CASE("CALYX_BASE_DOMAIN") {
  CHECK(load_ok({{"CALYX_BASE_DOMAIN", "calyx.example.com"}}).base_domain == "calyx.example.com");
  CHECK(load_ok({{"CALYX_BASE_DOMAIN", "example.com."}}).base_domain == "example.com");
  refused("CALYX_BASE_DOMAIN", "exa mple.com", "is not a host name");
  refused("CALYX_BASE_DOMAIN", "-bad.com", "is not a host name");
  refused("CALYX_BASE_DOMAIN", "Example.com", "is not a host name");
}

TEST_CASE("CALYX_MODULES_DIR") {
  testing::TempDir dir;
  Settings s = load_ok({{"CALYX_MODULES_DIR", dir.path().string()}});
  CHECK(s.modules_dir == dir.path().string());
  CHECK(s.modules_dir_explicit);
  refused("CALYX_MODULES_DIR", dir.file("missing"), "is not a directory");
}

TEST_CASE("CALYX_MULTI_TENANT_ENABLED and CALYX_CREATE_TENANT_SCHEMAS") {
  CHECK_FALSE(load_ok({{"CALYX_MULTI_TENANT_ENABLED", "false"}}).multi_tenant_enabled);
  CHECK(load_ok({{"CALYX_MULTI_TENANT_ENABLED", "YES"}}).multi_tenant_enabled);
  CHECK_FALSE(load_ok({{"CALYX_CREATE_TENANT_SCHEMAS", "0"}}).create_tenant_schemas);
  refused("CALYX_MULTI_TENANT_ENABLED", "maybe", "is not a boolean");
  refused("CALYX_CREATE_TENANT_SCHEMAS", "2", "is not a boolean");
}

TEST_CASE("CALYX_TENANT_SCHEMA_PREFIX") {
  CHECK(load_ok({{"CALYX_TENANT_SCHEMA_PREFIX", "ws_"}}).tenant_schema_prefix == "ws_");
  refused("CALYX_TENANT_SCHEMA_PREFIX", "Tenant-", "is not a schema prefix");
  refused("CALYX_TENANT_SCHEMA_PREFIX", "x\"; drop", "is not a schema prefix");
  refused("CALYX_TENANT_SCHEMA_PREFIX", std::string(24, 'a'), "at most 23");
  refused("CALYX_TENANT_SCHEMA_PREFIX", "pg_", "reserved by PostgreSQL");
}

TEST_CASE("CALYX_RESERVED_TENANTS") {
  CHECK(load_ok({{"CALYX_RESERVED_TENANTS", "api, status,billing"}}).reserved_tenants ==
        std::vector<std::string>{"api", "status", "billing"});
  refused("CALYX_RESERVED_TENANTS", "api,Bad Name", "is not a tenant name");
}

TEST_CASE("CALYX_SECRET_KEY") {
  CHECK(load_ok({{"CALYX_SECRET_KEY", std::string(40, 'k')}}).secret_key == std::string(40, 'k'));
  refused("CALYX_SECRET_KEY", "short", "too short");
}

TEST_CASE("CALYX_ENV and CALYX_LOG_LEVEL") {
  CHECK(load_ok({{"CALYX_ENV", "production"}}).mode == config::Mode::production);
  refused("CALYX_ENV", "staging", "is not development or production");
  CHECK(load_ok({{"CALYX_LOG_LEVEL", "debug"}}).log_level == "debug");
  refused("CALYX_LOG_LEVEL", "loud", "is not a log level");
}

TEST_CASE("numeric limits") {
  Settings s = load_ok({{"CALYX_HTTP_THREADS", "3"},
                        {"CALYX_WORKER_THREADS", "16"},
                        {"CALYX_DB_POOL_SIZE", "12"},
                        {"CALYX_DB_POOL_TIMEOUT_MS", "250"},
                        {"CALYX_DB_PREPARED_STATEMENTS", "0"},
                        {"CALYX_MAX_HEADER_BYTES", "8192"},
                        {"CALYX_MAX_BODY_BYTES", "1048576"},
                        {"CALYX_READ_TIMEOUT_MS", "1500"},
                        {"CALYX_IDLE_TIMEOUT_MS", "9000"},
                        {"CALYX_SHUTDOWN_TIMEOUT_MS", "2000"}});
  CHECK(s.http_threads == 3);
  CHECK(s.worker_threads == 16);
  CHECK(s.db_pool_size == 12);
  CHECK(s.db_pool_timeout == std::chrono::milliseconds(250));
  CHECK(s.db_prepared_statements == 0);
  CHECK(load_ok({}).db_prepared_statements == 256);
  CHECK(s.max_header_bytes == 8192);
  CHECK(s.max_body_bytes == 1048576);
  CHECK(s.read_timeout == std::chrono::milliseconds(1500));
  CHECK(s.idle_timeout == std::chrono::milliseconds(9000));
  CHECK(s.shutdown_timeout == std::chrono::milliseconds(2000));
  refused("CALYX_HTTP_THREADS", "many", "is not a whole number");
  refused("CALYX_WORKER_THREADS", "-1", "is not a whole number");
  refused("CALYX_DB_POOL_SIZE", "0", "out of range");
  refused("CALYX_DB_POOL_TIMEOUT_MS", "0", "out of range");
  refused("CALYX_DB_PREPARED_STATEMENTS", "70000", "out of range");
  refused("CALYX_MAX_HEADER_BYTES", "10", "out of range");
  refused("CALYX_MAX_BODY_BYTES", "1e6", "is not a whole number");
  refused("CALYX_READ_TIMEOUT_MS", "5", "out of range");
  refused("CALYX_IDLE_TIMEOUT_MS", "", "is not a whole number");
  refused("CALYX_SHUTDOWN_TIMEOUT_MS", "forever", "is not a whole number");
}

TEST_CASE("a config file adds settings; the environment wins; unknown keys are refused") {
  testing::TempDir dir;
  std::string path = dir.file("calyx.env");
  {
    std::ofstream out(path);
    out << "# Calyx settings\n"
        << "CALYX_LISTEN=0.0.0.0:9000\n"
        << "export CALYX_BASE_DOMAIN=\"calyx.test\"\n"
        << "\n"
        << "CALYX_DB_POOL_SIZE = 3\n";
  }
  auto from_file = config::load(env({{"CALYX_CONFIG_FILE", path}, {"CALYX_DB_POOL_SIZE", "5"}}));
  REQUIRE(from_file.ok());
  CHECK(from_file->listen_port == 9000);
  CHECK(from_file->base_domain == "calyx.test");
  CHECK(from_file->db_pool_size == 5);

  {
    std::ofstream out(path, std::ios::app);
    out << "CALYX_LISTN=typo:1\n";
  }
  auto typo = config::load(env({}), path);
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.error().message().find("unknown setting 'CALYX_LISTN'") != std::string::npos);
  CHECK(typo.error().message().find(":6:") != std::string::npos);

  auto missing = config::load(env({{"CALYX_CONFIG_FILE", dir.file("nope.env")}}));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message().starts_with("CALYX_CONFIG_FILE: cannot read config file"));
}

TEST_CASE("production refuses to start without a secret key") {
  Settings s = load_ok({{"CALYX_ENV", "production"}});
  auto key = config::ensure_secret_key(s);
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().message().starts_with("CALYX_SECRET_KEY: not set; production mode"));
}

TEST_CASE("development generates a secret key once, keeps it in var/ and reuses it") {
  testing::TempDir dir;
  Settings first = load_ok({{"CALYX_VAR_DIR", dir.file("var")}});
  REQUIRE(config::ensure_secret_key(first).ok());
  CHECK(first.secret_key.size() == 64);
  struct stat info {};
  REQUIRE(::stat(dir.file("var/secret_key").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  Settings second = load_ok({{"CALYX_VAR_DIR", dir.file("var")}});
  REQUIRE(config::ensure_secret_key(second).ok());
  CHECK(second.secret_key == first.secret_key);
}
