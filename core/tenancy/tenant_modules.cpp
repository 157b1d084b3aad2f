// Modules per tenant: enabling (dependencies first, migrations in the tenant's scope, setup_tenant, the
// subscription, module_enabled), disabling (module_disabled, optional purge), the tenant's hooks, and the
// migration scope of a tenant's module (shared tables made row-scoped around each migration).
#include <calyx/tenancy/tenancy.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "tenancy/records.hpp"
#include "tenancy/shared_rows.hpp"
#include "tenancy/sqlite_table_ddl.hpp"

#include <calyx/modules/hooks.hpp>

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace calyx::tenancy {
namespace {

modules::CallTenant call_tenant(const Tenant& tenant) {
  return {tenant.id, tenant.slug, tenant.name, std::string(to_string(tenant.isolation))};
}

}  // namespace

// The migration scope of a tenant's module: where it applies, and for PostgreSQL schemas and shared tables
// what must happen around each migration (row scoping, grants to the tenant's role).
migrations::Scope Tenancy::migration_scope(const Tenant& tenant, const modules::DataScope& data,
                                           const std::string& component) {
  migrations::Scope scope(component, data.schema);
  bool shared = tenant.isolation == Isolation::shared;
  if (shared) {
    scope.before_each = [](db::Lease& lease) { return shared_rows::open_for_migration(lease); };
    scope.rewrite_sql = [](db::Lease& lease, const std::string& sql) -> Result<std::string> {
      auto existing = shared_rows::shared_tables(lease);
      if (!existing) return existing.error();
      return shared_unique_statements(sql, *existing);
    };
  }
  // The tenant's role is granted new tables through the schema's default privileges (see prepare_schema).
  if (shared) scope.after_each = [](db::Lease& lease) { return shared_rows::close_after_migration(lease); };
  return scope;
}

// A module's pending migrations in the tenant's scope, all in one transaction.
Status Tenancy::migrate_module(const Tenant& tenant, const modules::DataScope& scope, const modules::ModuleInfo& module) {
  auto lease = scope.pool->acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto report = migrations::Migrator(*scope.pool, migration_scope(tenant, scope, module.code)).apply_in(*lease, module.migrations);
    if (!report) return report.error();
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("{} migrations", module.code), e);
  }
  return Ok{};
}

Status Tenancy::fire_hook(const Tenant& tenant, std::string_view point, const std::string& data) {
  auto scope = data_scope(tenant);
  if (!scope) return scope.error();
  std::set<std::string, std::less<>> active(tenant.modules.begin(), tenant.modules.end());
  modules::DatabaseCallServices services(*scope, host_, &registry_, active);
  auto outcome = modules::execute_hooks(registry_, point, data, active, [&](calyx_call& call) {
    call.tenant = call_tenant(tenant);
    call.services = &services;
  });
  return services.finish(true);
}

Status Tenancy::user_joined(const Tenant& tenant, std::int64_t user_id, std::string_view email) {
  boost::json::object data{{"user_id", user_id}, {"email", email}, {"tenant", tenant.slug}};
  return fire_hook(tenant, "user_created", boost::json::serialize(data));
}

Result<std::vector<std::string>> Tenancy::enable_module(std::string_view slug, std::string_view code,
                                                        std::string_view options_json) {
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  if (tenant->status == TenantStatus::deleted) return Error::conflict(fmt::format("tenant '{}' is deleted", slug));
  return enable_for(*tenant, code, options_json);
}

Result<std::vector<std::string>> Tenancy::enable_for(Tenant& target, std::string_view code, std::string_view options_json) {
  Tenant* tenant = &target;
  if (!registry_.find(code)) {
    for (const auto& status : registry_.statuses()) {
      if (status.module && status.module->code == code && !status.loaded) {
        return Error::not_found(fmt::format("module '{}' was refused: {}", code, status.reason));
      }
    }
    return Error::not_found(fmt::format("no module '{}' is installed (see calyx module list)", code));
  }
  auto scope = data_scope(*tenant);
  if (!scope) return scope.error().with_context("tenant data");
  std::vector<std::string> enabled;
  for (const modules::ModuleInfo* module : registry_.with_dependencies(code)) {
    if (std::find(tenant->modules.begin(), tenant->modules.end(), module->code) != tenant->modules.end()) continue;
    if (auto migrated = migrate_module(*tenant, *scope, *module); !migrated) {
      return migrated.error().with_context(fmt::format("enabling '{}': step 'migrations'", module->code));
    }
    if (auto recorded = record_migrated(*tenant, *module); !recorded) spdlog::warn("{}", recorded.error().message());

    std::set<std::string, std::less<>> active(tenant->modules.begin(), tenant->modules.end());
    active.insert(module->code);
    modules::DatabaseCallServices services(*scope, host_, &registry_, active);
    calyx_call call;
    call.kind = modules::CallKind::setup_tenant;
    call.module = module;
    call.tenant = call_tenant(*tenant);
    call.services = &services;
    calyx_status status = modules::invoke_setup_tenant(*module, call, module->code == code ? options_json : "{}");
    auto finished = services.finish(status == CALYX_OK);
    if (status != CALYX_OK) {
      return Error::failed(fmt::format("enabling '{}': step 'setup_tenant' failed: {}", module->code, call.error));
    }
    if (!finished) return finished.error().with_context(fmt::format("enabling '{}': step 'setup_tenant'", module->code));

    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      db::Transaction tx(*lease);
      long long id = tenant->id;
      std::string module_code = module->code, now = utc_now();
      lease->session() << "DELETE FROM calyx_subscriptions WHERE tenant_id = :t AND module = :m", soci::use(id),
          soci::use(module_code);
      lease->session() << "INSERT INTO calyx_subscriptions (tenant_id, module, status, enabled_at) "
                          "VALUES (:t, :m, 'active', :now)",
          soci::use(id), soci::use(module_code), soci::use(now);
      bump_version(lease->session(), host_.backend());
      tx.commit();
    } catch (const std::exception& e) {
      return Error::failed(fmt::format("enabling '{}': step 'subscription'", module->code), e);
    }
    tenant->modules.push_back(module->code);
    enabled.push_back(module->code);
    std::string data = fmt::format(R"({{"tenant":"{}","module":"{}"}})", tenant->slug, module->code);
    if (auto hooked = fire_hook(*tenant, "module_enabled", data); !hooked) {
      spdlog::warn("module_enabled hook for {} on {}: {}", module->code, tenant->slug, hooked.error().message());
    }
  }
  return enabled;
}

Status Tenancy::disable_module(std::string_view slug, std::string_view code, bool purge) {
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  if (std::find(tenant->modules.begin(), tenant->modules.end(), code) == tenant->modules.end()) {
    return Error::not_found(fmt::format("module '{}' is not enabled for tenant '{}'", code, slug));
  }
  for (const auto& other : tenant->modules) {
    const modules::ModuleInfo* info = registry_.find(other);
    if (!info || other == code) continue;
    for (const auto& dependency : info->dependencies) {
      if (dependency.code == code) {
        return Error::conflict(fmt::format("module '{}' is needed by '{}', enabled for tenant '{}'; disable '{}' first",
                                           code, other, slug, other));
      }
    }
  }
  if (purge) {
    if (const modules::ModuleInfo* module = registry_.find(code)) {
      auto scope = data_scope(*tenant);
      if (!scope) return scope.error();
      modules::DatabaseCallServices services(*scope, host_, &registry_, {});
      calyx_call call;
      call.kind = modules::CallKind::cleanup_tenant;
      call.module = module;
      call.tenant = call_tenant(*tenant);
      call.services = &services;
      calyx_status status = modules::invoke_cleanup_tenant(*module, call);
      auto finished = services.finish(status == CALYX_OK);
      if (status != CALYX_OK) return Error::failed(fmt::format("cleanup_tenant of '{}' failed: {}", code, call.error));
      if (!finished) return finished;
    }
  }
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    long long id = tenant->id;
    std::string module_code(code);
    lease->session() << "UPDATE calyx_subscriptions SET status = 'disabled' WHERE tenant_id = :t AND module = :m",
        soci::use(id), soci::use(module_code);
    bump_version(lease->session(), host_.backend());
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed("disabling the module", e);
  }
  tenant->modules.erase(std::remove(tenant->modules.begin(), tenant->modules.end(), code), tenant->modules.end());
  std::string data = fmt::format(R"({{"tenant":"{}","module":"{}","purged":{}}})", tenant->slug, code, purge);
  if (auto hooked = fire_hook(*tenant, "module_disabled", data); !hooked) {
    spdlog::warn("module_disabled hook for {} on {}: {}", code, tenant->slug, hooked.error().message());
  }
  return Ok{};
}

}  // namespace calyx::tenancy
