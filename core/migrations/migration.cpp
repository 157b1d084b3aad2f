// Migration file names, pairing of dialect-specific files, and checksums.
#include <calyx/migrations/migration.hpp>

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

namespace calyx::migrations {
namespace {

struct ParsedName {
  long long version = 0;
  std::string name;
  std::optional<db::Backend> dialect;  // empty: the file serves both backends
};

bool is_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

std::optional<ParsedName> parse_filename(std::string_view filename) {
  ParsedName parsed;
  std::string_view rest = filename;
  if (!rest.ends_with(".sql")) return std::nullopt;
  rest.remove_suffix(4);
  if (rest.ends_with(".sqlite")) {
    parsed.dialect = db::Backend::sqlite;
    rest.remove_suffix(7);
  } else if (rest.ends_with(".postgresql")) {
    parsed.dialect = db::Backend::postgresql;
    rest.remove_suffix(11);
  }
  auto underscore = rest.find('_');
  if (underscore == std::string_view::npos || underscore < 4) return std::nullopt;
  std::string_view digits = rest.substr(0, underscore);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed.version);
  if (ec != std::errc() || end != digits.data() + digits.size() || parsed.version <= 0) return std::nullopt;
  std::string_view name = rest.substr(underscore + 1);
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z') || !std::all_of(name.begin(), name.end(), is_name_char)) {
    return std::nullopt;
  }
  parsed.name = std::string(name);
  return parsed;
}

}  // namespace

std::string Migration::checksum(db::Backend backend) const {
  const std::string& sql = sql_for(backend);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(sql.data()), sql.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string Migration::label() const { return fmt::format("{:04}_{}", version, name); }

Result<std::vector<Migration>> parse_migration_files(std::span<const MigrationFile> files) {
  struct Pending {
    Migration migration;
    std::string first_file;
    bool has_sqlite = false, has_postgresql = false, has_shared = false;
  };
  std::map<long long, Pending> by_version;
  for (const auto& file : files) {
    auto parsed = parse_filename(file.name);
    if (!parsed) {
      return Error::invalid_argument(fmt::format(
          "migration file '{}' is badly named: expected NNNN_snake_name.sql, NNNN_snake_name.sqlite.sql or "
          "NNNN_snake_name.postgresql.sql",
          file.name));
    }
    auto [it, inserted] = by_version.try_emplace(parsed->version);
    Pending& entry = it->second;
    if (inserted) {
      entry.migration.version = parsed->version;
      entry.migration.name = parsed->name;
      entry.first_file = std::string(file.name);
    } else if (entry.migration.name != parsed->name || entry.has_shared || !parsed->dialect) {
      return Error::invalid_argument(fmt::format("migration version {:04} is used by both '{}' and '{}'",
                                                 parsed->version, entry.first_file, file.name));
    }
    std::string sql(file.content);
    if (!parsed->dialect) {
      entry.has_shared = true;
      entry.migration.sqlite_sql = sql;
      entry.migration.postgresql_sql = sql;
    } else if (*parsed->dialect == db::Backend::sqlite) {
      if (entry.has_sqlite) return Error::invalid_argument(fmt::format("duplicate migration file '{}'", file.name));
      entry.has_sqlite = true;
      entry.migration.sqlite_sql = sql;
    } else {
      if (entry.has_postgresql) {
        return Error::invalid_argument(fmt::format("duplicate migration file '{}'", file.name));
      }
      entry.has_postgresql = true;
      entry.migration.postgresql_sql = sql;
    }
  }
  std::vector<Migration> out;
  for (auto& [version, entry] : by_version) {
    if (!entry.has_shared && (entry.has_sqlite != entry.has_postgresql)) {
      return Error::invalid_argument(fmt::format(
          "migration '{}' exists only for {}: add its .{}.sql counterpart or name it {}.sql", entry.first_file,
          entry.has_sqlite ? "sqlite" : "postgresql", entry.has_sqlite ? "postgresql" : "sqlite",
          entry.migration.label()));
    }
    out.push_back(std::move(entry.migration));
  }
  return out;
}

}  // namespace calyx::migrations
