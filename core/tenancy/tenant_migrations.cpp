// `calyx tenant migrate`: every tenant's module migrations, scope by scope, in parallel, resumable.
#include <calyx/tenancy/tenancy.hpp>

#include "tenancy/records.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

namespace calyx::tenancy {
namespace {

long long latest_version(const modules::ModuleInfo& module) {
  return module.migrations.empty() ? 0 : module.migrations.back().version;
}

// One data scope to migrate and the tenants whose data it holds.
struct Unit {
  const Tenant* representative = nullptr;
  std::vector<const Tenant*> tenants;
  std::set<std::string> modules;
  std::string error;  // found before migrating (a module that is not installed)
  TenantMigration outcome;
};

}  // namespace

Status Tenancy::record_migrated(const Tenant& tenant, const modules::ModuleInfo& module) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    std::string scope = tenant.data_location, code = module.code, now = utc_now();
    long long version = latest_version(module);
    lease->session() << "INSERT INTO calyx_tenant_module_versions (scope, module, version, updated_at) "
                        "VALUES (:s, :m, :v, :u) ON CONFLICT (scope, module) DO UPDATE SET version = excluded.version, "
                        "updated_at = excluded.updated_at",
        soci::use(scope), soci::use(code), soci::use(version), soci::use(now);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("recording the migration state of {}: {}", tenant.slug, e.what()));
  }
}

Result<std::vector<TenantMigration>> Tenancy::migrate_tenants(std::string_view slug, unsigned jobs) {
  auto all = list();
  if (!all) return all.error();
  std::vector<Tenant> tenants;
  for (auto& tenant : *all) {
    if (tenant.status == TenantStatus::deleted) continue;
    if (!slug.empty() && tenant.slug != slug) continue;
    tenants.push_back(std::move(tenant));
  }
  if (!slug.empty() && tenants.empty()) return Error::not_found(fmt::format("no tenant '{}'", slug));

  // What every scope has applied, in one query.
  std::map<std::pair<std::string, std::string>, long long> state;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      std::string scope, module;
      long long version = 0;
      soci::statement st = (lease->session().prepare << "SELECT scope, module, version FROM calyx_tenant_module_versions",
                            soci::into(scope), soci::into(module), soci::into(version));
      st.execute();
      while (st.fetch()) state[{scope, module}] = version;
    } catch (const std::exception& e) {
      return Error::failed(fmt::format("reading the tenants' migration state: {}", e.what()));
    }
  }

  // Tenants grouped by scope: shared tenants share one.
  std::map<std::string, Unit> units;
  for (const auto& tenant : tenants) {
    Unit& unit = units[tenant.data_location];
    if (!unit.representative) unit.representative = &tenant;
    unit.tenants.push_back(&tenant);
    unit.modules.insert(tenant.modules.begin(), tenant.modules.end());
  }
  std::vector<Unit*> work;
  for (auto& [scope, unit] : units) {
    bool pending = false;
    for (const auto& code : unit.modules) {
      const modules::ModuleInfo* module = registry_.find(code);
      if (!module) {
        unit.error += fmt::format("{}module '{}' is not installed (see calyx module list)", unit.error.empty() ? "" : "; ", code);
        continue;
      }
      auto it = state.find({scope, code});
      if (it == state.end() || it->second < latest_version(*module)) pending = true;
    }
    if (pending || !unit.error.empty()) work.push_back(&unit);
  }

  auto migrate_unit = [this](Unit& unit) {
    auto started = std::chrono::steady_clock::now();
    TenantMigration& out = unit.outcome;
    out.state = TenantMigration::State::failed;
    auto finish = [&] {
      out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    };
    if (!unit.error.empty()) {
      out.error = unit.error;
      return finish();
    }
    const Tenant& tenant = *unit.representative;
    // Dependencies first, as enabling applied them.
    std::vector<const modules::ModuleInfo*> ordered;
    for (const auto& code : unit.modules) {
      for (const modules::ModuleInfo* module : registry_.with_dependencies(code)) {
        if (unit.modules.contains(module->code) && std::find(ordered.begin(), ordered.end(), module) == ordered.end()) {
          ordered.push_back(module);
        }
      }
    }
    auto scope = data_scope(tenant);
    if (!scope) {
      out.error = scope.error().message();
      return finish();
    }
    auto lease = scope->pool->acquire();
    if (!lease) {
      out.error = lease.error().message();
      return finish();
    }
    try {
      db::Transaction tx(*lease);
      for (const modules::ModuleInfo* module : ordered) {
        auto report = migrations::Migrator(*scope->pool, migration_scope(tenant, *scope, module->code))
                          .apply_in(*lease, module->migrations);
        if (!report) {
          out.error = report.error().message();
          return finish();
        }
        for (const auto& label : report->applied) out.applied.push_back(module->code + " " + label);
      }
      tx.commit();
    } catch (const std::exception& e) {
      out.error = e.what();
      return finish();
    }
    for (const modules::ModuleInfo* module : ordered) {
      if (auto ok = record_migrated(tenant, *module); !ok) spdlog::warn("{}", ok.error().message());
    }
    out.state = out.applied.empty() ? TenantMigration::State::up_to_date : TenantMigration::State::migrated;
    finish();
  };

  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < work.size();) migrate_unit(*work[i]);
  };
  std::vector<std::jthread> threads;
  for (unsigned i = 1; i < std::min<std::size_t>(std::max(1u, jobs), work.size()); ++i) threads.emplace_back(worker);
  worker();
  threads.clear();  // joins

  std::vector<TenantMigration> results;
  for (const auto& tenant : tenants) {
    const Unit& unit = units[tenant.data_location];
    TenantMigration row = unit.outcome;
    row.tenant = tenant.slug;
    results.push_back(std::move(row));
  }
  return results;
}

}  // namespace calyx::tenancy
