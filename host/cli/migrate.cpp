// `calyx migrate`: the host's global migrations.
#include "cli/commands.hpp"
#include "cli/common.hpp"

#include <calyx/migrations/migrator.hpp>

#include <cstdio>

namespace calyx::cli {

// Applies the host's pending migrations and prints what was done.
int migrate(const std::string& config_file) {
  auto settings = load_settings(config_file);
  if (!settings) return fail(settings.error().message());
  auto pool = open_pool(*settings);
  if (!pool) return fail(pool.error().message());
  auto known = host_migrations();
  if (!known) return fail(known.error().message());
  migrations::Migrator migrator(**pool, migrations::Scope{});
  auto report = migrator.apply(*known);
  if (!report) return fail(report.error().message());
  for (const auto& label : report->applied) std::printf("applied %s\n", label.c_str());
  std::printf("%s: %zu migration(s) applied now, %zu already applied, database %s\n",
              report->applied.empty() ? "up to date" : "migrated", report->applied.size(), report->already_applied,
              settings->database.redacted().c_str());
  return 0;
}

}  // namespace calyx::cli
