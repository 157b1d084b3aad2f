// Tenant lifecycle, domains, subscriptions and data scopes.
#include <calyx/tenancy/tenancy.hpp>

#include <calyx/db/dialect.hpp>
#include <calyx/migrations/migrator.hpp>
#include <calyx/modules/hooks.hpp>
#include <calyx/tenancy/names.hpp>

#include "tenancy/records.hpp"

#include <calyx/accounts/accounts.hpp>
#include "tenancy/shared_rows.hpp"
#include "tenancy/sqlite_table_ddl.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace calyx::tenancy {
namespace {

std::string schema_for(const TenancyOptions& options, std::string_view slug) {
  std::string schema = options.schema_prefix + std::string(slug);
  std::replace(schema.begin(), schema.end(), '-', '_');
  return schema;
}

}  // namespace

Tenancy::Tenancy(db::ConnectionPool& host, TenancyOptions options, const modules::ModuleRegistry& registry)
    : host_(host), options_(std::move(options)), registry_(registry) {}

Tenancy::~Tenancy() = default;

Result<std::int64_t> Tenancy::version() {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long version = 0;
    lease->session() << "SELECT version FROM calyx_tenancy_version WHERE id = 1", soci::into(version);
    return static_cast<std::int64_t>(version);
  } catch (const std::exception& e) {
    return Error::failed("reading the tenancy version", e);
  }
}

Result<std::vector<Tenant>> Tenancy::list() { return read_tenants({}); }

// Every tenant, or the one with `slug`, with its domains and active subscriptions.
Result<std::vector<Tenant>> Tenancy::read_tenants(std::string_view slug) {
  std::string only(slug);
  std::string where = slug.empty() ? "" : " WHERE slug = :slug";
  std::string tenant_filter = slug.empty() ? "" : " AND tenant_id IN (SELECT id FROM calyx_tenants WHERE slug = :slug)";
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<Tenant> tenants;
  try {
    auto& session = lease->session();
    Tenant t;
    long long id = 0, parent = 0, org = 0;
    soci::indicator org_indicator = soci::i_null;
    int signup = 0;
    std::string status, isolation;
    soci::indicator parent_indicator = soci::i_null;
    soci::statement rows(session);
    rows.exchange(soci::into(id));
    rows.exchange(soci::into(t.slug));
    rows.exchange(soci::into(t.name));
    rows.exchange(soci::into(status));
    rows.exchange(soci::into(isolation));
    rows.exchange(soci::into(t.data_location));
    rows.exchange(soci::into(parent, parent_indicator));
    rows.exchange(soci::into(t.created_at));
    rows.exchange(soci::into(t.updated_at));
    rows.exchange(soci::into(signup));
    rows.exchange(soci::into(org, org_indicator));
    rows.exchange(soci::into(t.support_email));
    std::string theme;
    int custom_js = 0;
    rows.exchange(soci::into(theme));
    rows.exchange(soci::into(custom_js));
    rows.exchange(soci::into(t.locale));
    if (!slug.empty()) rows.exchange(soci::use(only, "slug"));
    db::dialect::prepare_once(rows, "SELECT id, slug, name, status, isolation, data_location, parent_id, created_at, "
                                    "updated_at, allow_signup, org_id, support_email, theme, allow_custom_js, locale FROM calyx_tenants" + where +
                                    " ORDER BY slug");
    rows.execute();
    while (rows.fetch()) {
      t.id = id;
      t.status = parse_status(status).value();
      t.isolation = parse_isolation(isolation).value();
      t.parent_id = parent_indicator == soci::i_ok ? std::optional<std::int64_t>(parent) : std::nullopt;
      t.allow_signup = signup != 0;
      t.org_id = org_indicator == soci::i_ok ? std::optional<std::int64_t>(org) : std::nullopt;
      auto values = themes::from_json(theme);  // written only by set_theme, so always an object
      t.theme = values ? std::move(*values) : themes::Values{};
      t.allow_custom_js = custom_js != 0;
      tenants.push_back(t);
    }
    std::map<std::int64_t, Tenant*> by_id;
    for (auto& tenant : tenants) by_id[tenant.id] = &tenant;
    long long tenant_id = 0;
    std::string text;
    int primary = 0;
    soci::statement domains(session);
    domains.exchange(soci::into(tenant_id));
    domains.exchange(soci::into(text));
    domains.exchange(soci::into(primary));
    if (!slug.empty()) domains.exchange(soci::use(only, "slug"));
    db::dialect::prepare_once(domains, "SELECT tenant_id, host, is_primary FROM calyx_domains WHERE 1 = 1" + tenant_filter +
                                           " ORDER BY is_primary DESC, host");
    domains.execute();
    while (domains.fetch()) {
      if (auto it = by_id.find(tenant_id); it != by_id.end()) it->second->domains.push_back(text);
    }
    soci::statement subscriptions(session);
    subscriptions.exchange(soci::into(tenant_id));
    subscriptions.exchange(soci::into(text));
    if (!slug.empty()) subscriptions.exchange(soci::use(only, "slug"));
    db::dialect::prepare_once(subscriptions, "SELECT tenant_id, module FROM calyx_subscriptions WHERE status = 'active'" +
                                                 tenant_filter + " ORDER BY module");
    subscriptions.execute();
    while (subscriptions.fetch()) {
      if (auto it = by_id.find(tenant_id); it != by_id.end()) it->second->modules.push_back(text);
    }
    // Themes inherit along the parent chain; a single tenant's ancestors are read for it.
    std::map<std::int64_t, std::pair<std::optional<std::int64_t>, themes::Values>> ancestors;
    for (const auto& tenant : tenants) ancestors[tenant.id] = {tenant.parent_id, tenant.theme};
    for (auto& tenant : tenants) {
      std::vector<const themes::Values*> chain{&tenant.theme};
      std::optional<std::int64_t> parent_id = tenant.parent_id;
      for (int depth = 0; parent_id && depth < 16; ++depth) {  // parents cannot form a cycle; the bound is a guard
        auto it = ancestors.find(*parent_id);
        if (it == ancestors.end()) {
          long long wanted = *parent_id;
          std::string theme_json;
          soci::indicator grandparent_indicator = soci::i_null;
          session << "SELECT parent_id, theme FROM calyx_tenants WHERE id = :id", soci::use(wanted),
              soci::into(parent, grandparent_indicator), soci::into(theme_json);
          if (!session.got_data()) break;
          auto values = themes::from_json(theme_json);
          it = ancestors
                   .emplace(*parent_id, std::pair{grandparent_indicator == soci::i_ok ? std::optional<std::int64_t>(parent)
                                                                                      : std::nullopt,
                                                  values ? std::move(*values) : themes::Values{}})
                   .first;
        }
        chain.push_back(&it->second.second);
        parent_id = it->second.first;
      }
      tenant.effective_theme = themes::resolve(chain);
    }
  } catch (const std::exception& e) {
    return Error::failed("listing tenants", e);
  }
  return tenants;
}

Result<Tenant> Tenancy::find(std::string_view slug) {
  auto tenants = read_tenants(slug);
  if (!tenants) return tenants.error();
  if (tenants->empty()) return Error::not_found(fmt::format("no tenant '{}'", slug));
  return std::move(tenants->front());
}

Result<Tenant> Tenancy::create(const NewTenant& spec) {
  for (const auto& code : spec.modules) {
    if (!registry_.find(code)) return Error::not_found(fmt::format("no module '{}' is installed (see calyx module list)", code));
  }
  auto tenant = create_record(spec);
  if (!tenant) return tenant;
  for (const auto& code : spec.modules) {
    auto enabled = enable_for(*tenant, code, "{}");
    if (!enabled) {
      if (auto undone = remove(spec.slug, true); !undone) {
        spdlog::error("tenant {}: removing the half-created tenant failed: {}", spec.slug, undone.error().message());
      }
      return enabled.error().with_context(fmt::format("step 'module {}'", code));
    }
  }
  std::sort(tenant->modules.begin(), tenant->modules.end());  // as listed
  std::string data = fmt::format(R"({{"tenant":"{}"}})", tenant->slug);
  if (auto hooked = fire_hook(*tenant, "tenant_created", data); !hooked) {
    spdlog::warn("tenant_created hook for {}: {}", tenant->slug, hooked.error().message());
  }
  return tenant;
}

Result<std::vector<Tenant>> Tenancy::children(std::string_view slug) {
  auto parent = find(slug);
  if (!parent) return parent.error();
  auto all = list();
  if (!all) return all.error();
  std::vector<Tenant> out;
  for (auto& tenant : *all) {
    if (tenant.parent_id == parent->id) out.push_back(std::move(tenant));
  }
  return out;
}

Result<Tenant> Tenancy::create_record(const NewTenant& spec) {
  if (auto ok = validate_slug(spec.slug, options_.reserved); !ok) return ok.error();
  if (spec.name.empty() || spec.name.size() > 100) {
    return Error::invalid_argument("a tenant name of 1 to 100 characters is required");
  }
  std::vector<std::string> domains;
  for (const auto& domain : spec.domains) {
    auto normalized = normalize_domain(domain);
    if (!normalized) return normalized.error();
    if (std::find(domains.begin(), domains.end(), *normalized) != domains.end()) {
      return Error::invalid_argument(fmt::format("domain '{}' is given twice", *normalized));
    }
    domains.push_back(*normalized);
  }
  if (auto taken = slug_taken(spec.slug); !taken || *taken) {
    return taken ? Error::conflict(fmt::format("a tenant with slug '{}' already exists", spec.slug)) : taken.error();
  }
  std::optional<std::int64_t> parent_id;
  if (!spec.parent_slug.empty()) {
    auto parent = find(spec.parent_slug);
    if (!parent) return Error::not_found(fmt::format("parent tenant '{}' does not exist", spec.parent_slug));
    parent_id = parent->id;
  }

  // Where the data will live; for a database of its own, prove it can be reached before anything is written.
  std::string location;
  std::optional<std::filesystem::path> created_file;
  if (spec.isolation == Isolation::enterprise) {
    if (spec.database_url.empty()) return Error::invalid_argument("an enterprise tenant needs --db-config with its database URL");
    auto url = db::DatabaseUrl::parse(spec.database_url);
    if (!url) return url.error().with_context("--db-config");
    db::PoolOptions probe;
    probe.size = 1;
    auto pool = db::ConnectionPool::open(*url, probe);
    if (!pool) return pool.error().with_context("step 'database'");
    location = spec.database_url;
  } else if (spec.isolation == Isolation::shared) {
    location = host_.backend() == db::Backend::postgresql
                   ? std::string(shared_rows::kPostgresSchema)
                   : (std::filesystem::path(options_.sqlite_directory) / shared_rows::kSqliteFile).string();
  } else if (host_.backend() == db::Backend::postgresql) {
    location = schema_for(options_, spec.slug);
    if (!db::dialect::is_valid_identifier(location)) {
      return Error::invalid_argument(fmt::format("schema name '{}' is not a valid identifier", location));
    }
  } else {
    auto file = std::filesystem::path(options_.sqlite_directory) / (spec.slug + ".db");
    if (std::filesystem::exists(file)) {
      return Error::conflict(fmt::format("step 'database file': {} already exists; nothing was created", file.string()));
    }
    location = file.string();
  }

  Tenant tenant;
  {
    auto lease = host_.acquire();
    if (!lease) return lease.error();
    try {
      db::Transaction tx(*lease);
      auto& s = lease->session();
      int taken = 0;
      s << "SELECT COUNT(*) FROM calyx_tenants WHERE slug = :slug", soci::use(spec.slug), soci::into(taken);
      if (taken) return Error::conflict(fmt::format("a tenant with slug '{}' already exists", spec.slug));
      for (const auto& domain : domains) {
        std::string owner;
        soci::indicator indicator = soci::i_null;
        s << "SELECT t.slug FROM calyx_domains d JOIN calyx_tenants t ON t.id = d.tenant_id WHERE d.host = :host",
            soci::use(domain), soci::into(owner, indicator);
        if (indicator == soci::i_ok) {
          return Error::conflict(fmt::format("domain '{}' already belongs to tenant '{}'", domain, owner));
        }
      }
      std::string now = utc_now(), isolation(to_string(spec.isolation));
      long long parent = parent_id.value_or(0);
      soci::indicator parent_indicator = parent_id ? soci::i_ok : soci::i_null;
      long long id = 0;
      s << "INSERT INTO calyx_tenants (slug, name, status, isolation, data_location, parent_id, created_at, updated_at) "
           "VALUES (:slug, :name, 'active', :isolation, :location, :parent, :created, :updated) RETURNING id",
          soci::use(spec.slug), soci::use(spec.name), soci::use(isolation), soci::use(location),
          soci::use(parent, parent_indicator), soci::use(now), soci::use(now), soci::into(id);
      tenant.id = id;
      tenant.created_at = tenant.updated_at = now;
      for (std::size_t i = 0; i < domains.size(); ++i) {
        int primary = i == 0 ? 1 : 0;
        s << "INSERT INTO calyx_domains (host, tenant_id, is_primary) VALUES (:host, :tenant, :primary)",
            soci::use(domains[i]), soci::use(id), soci::use(primary);
      }
      if (spec.isolation != Isolation::enterprise && host_.backend() == db::Backend::postgresql) {
        if (auto ok = prepare_schema(*lease, location, spec.isolation == Isolation::shared); !ok) return ok.error();
      }
      if (spec.isolation == Isolation::shared && host_.backend() == db::Backend::sqlite) {
        std::error_code ec;
        std::filesystem::create_directories(options_.sqlite_directory, ec);
        Tenant probe;
        probe.isolation = Isolation::shared;
        probe.data_location = location;
        if (auto pool = tenant_pool(probe); !pool) return pool.error().with_context("step 'shared database file'");
      }
      if (spec.isolation == Isolation::isolated && host_.backend() == db::Backend::sqlite) {
        // Opened inside the transaction so that a file that cannot be created leaves no tenant behind.
        std::error_code ec;
        std::filesystem::create_directories(options_.sqlite_directory, ec);
        db::PoolOptions probe;
        probe.size = 1;
        auto file_url = db::DatabaseUrl::parse("sqlite:" + location);
        auto file_pool = file_url ? db::ConnectionPool::open(*file_url, probe) : Result<std::unique_ptr<db::ConnectionPool>>(file_url.error());
        if (!file_pool) return file_pool.error().with_context("step 'database file'");
        created_file = location;
      }
      bump_version(s, host_.backend());
      tx.commit();
    } catch (const std::exception& e) {
      if (created_file) std::filesystem::remove(*created_file);
      return Error::failed("step 'tenant record'", e);
    }
  }
  spdlog::info("tenant {} created ({}, {})", spec.slug, to_string(spec.isolation), location);
  tenant.slug = spec.slug;
  tenant.name = spec.name;
  tenant.isolation = spec.isolation;
  tenant.data_location = location;
  tenant.parent_id = parent_id;
  tenant.domains = domains;
  return tenant;
}

Result<bool> Tenancy::slug_taken(std::string_view slug) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    int taken = 0;
    std::string text(slug);
    lease->session() << "SELECT COUNT(*) FROM calyx_tenants WHERE slug = :slug", soci::use(text), soci::into(taken);
    return taken > 0;
  } catch (const std::exception& e) {
    return Error::failed("looking up the slug", e);
  }
}

Status Tenancy::set_status(std::string_view slug, TenantStatus status) {
  return change(slug, "updating the tenant", [&](soci::session& s, const Tenant& tenant) -> Status {
    if (tenant.status == TenantStatus::deleted && status != TenantStatus::deleted) {
      return Error::conflict(fmt::format("tenant '{}' is deleted", slug));
    }
    std::string text(to_string(status)), now = utc_now();
    long long id = tenant.id;
    s << "UPDATE calyx_tenants SET status = :status, updated_at = :now WHERE id = :id", soci::use(text), soci::use(now),
        soci::use(id);
    return Ok{};
  });
}

// A PostgreSQL schema for tenant data (isolated: the tenant's own; shared: calyx_shared, made once) and the
// role its module calls run as, allowed in that schema only.
Status Tenancy::prepare_schema(db::Lease& lease, const std::string& schema, bool shared) {
  auto quoted = db::dialect::quote_identifier(schema);
  if (!quoted) return quoted.error();
  std::string role = roles::role_for(host_.url().database, schema);
  bool created = options_.create_schemas && !shared;  // here, empty, in this transaction
  auto ensure = roles::ensure_role_sql(role);
  auto grant = roles::grant_schema_sql(schema, role, created);
  if (!ensure) return ensure.error();
  if (!grant) return grant.error();
  std::string script;
  if (created) {
    script = "CREATE SCHEMA " + *quoted + ";\n";
  } else if (shared) {
    script = "CREATE SCHEMA IF NOT EXISTS " + *quoted + ";\n";
  }
  script += *ensure + *grant;  // one round trip
  if (auto ok = db::dialect::execute_script(lease.session(), lease.backend(), script); !ok) {
    return Error::failed(fmt::format("step 'schema': {} (creating schemas and roles needs a database user with CREATE "
                                     "on the database and CREATEROLE)",
                                     ok.error().message()));
  }
  return Ok{};
}

Status Tenancy::set_support_email(std::string_view slug, std::string_view email) {
  std::string address;
  if (!email.empty()) {
    auto normalized = accounts::normalize_email(email);
    if (!normalized) return normalized.error();
    address = *normalized;
  }
  return change(slug, "changing the support address", [&](soci::session& s, const Tenant& tenant) -> Status {
    long long id = tenant.id;
    s << "UPDATE calyx_tenants SET support_email = :e WHERE id = :id", soci::use(address), soci::use(id);
    return Ok{};
  });
}

Status Tenancy::change(std::string_view slug, std::string_view what,
                       const std::function<Status(soci::session&, const Tenant&)>& apply) {
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    if (auto applied = apply(lease->session(), *tenant); !applied) return applied;
    bump_version(lease->session(), host_.backend());
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed(what, e);
  }
}

Status Tenancy::set_org(std::string_view slug, std::int64_t org_id) {
  return change(slug, "assigning the tenant to its org", [&](soci::session& s, const Tenant& tenant) -> Status {
    long long org = org_id, id = tenant.id;
    s << "UPDATE calyx_tenants SET org_id = :o WHERE id = :t", soci::use(org), soci::use(id);
    return Ok{};
  });
}

Status Tenancy::set_signup(std::string_view slug, bool allowed) {
  return change(slug, "changing sign-up", [&](soci::session& s, const Tenant& tenant) -> Status {
    int value = allowed ? 1 : 0;
    long long id = tenant.id;
    s << "UPDATE calyx_tenants SET allow_signup = :a WHERE id = :id", soci::use(value), soci::use(id);
    return Ok{};
  });
}

Result<db::ConnectionPool*> Tenancy::tenant_pool(const Tenant& tenant) {
  bool own_database = tenant.isolation == Isolation::enterprise || host_.backend() == db::Backend::sqlite;
  if (!own_database) return &host_;
  // Shared SQLite tenants share one pool on the shared file (key 0: no tenant has id 0).
  std::int64_t key = tenant.isolation == Isolation::shared ? 0 : tenant.id;
  std::lock_guard lock(pools_mutex_);
  if (auto it = pools_.find(key); it != pools_.end()) return it->second.get();
  auto url = db::DatabaseUrl::parse(tenant.isolation == Isolation::enterprise ? tenant.data_location
                                                                               : "sqlite:" + tenant.data_location);
  if (!url) return url.error();
  db::PoolOptions options;
  options.size = key == 0 ? host_.options().size : 4;  // a tenant's own database gets a small pool of its own
  auto pool = db::ConnectionPool::open(*url, options);
  if (!pool) return pool.error();
  return pools_.emplace(key, std::move(pool.value())).first->second.get();
}

Result<modules::DataScope> Tenancy::data_scope(const Tenant& tenant) {
  auto pool = tenant_pool(tenant);
  if (!pool) return pool.error();
  modules::DataScope scope(*pool);
  if (host_.backend() == db::Backend::postgresql && tenant.isolation != Isolation::enterprise) {
    scope.schema = tenant.data_location;
    scope.role = roles::role_for(host_.url().database, tenant.data_location);
  }
  if (tenant.isolation == Isolation::shared) scope.row_tenant = tenant.id;
  return scope;
}

Status Tenancy::remove(std::string_view slug, bool purge) {
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  if (tenant->status != TenantStatus::deleted) {
    std::string data = fmt::format(R"({{"tenant":"{}","purge":{}}})", tenant->slug, purge);
    if (auto hooked = fire_hook(*tenant, "tenant_deleted", data); !hooked) {
      spdlog::warn("tenant_deleted hook for {}: {}", tenant->slug, hooked.error().message());
    }
  }
  if (!purge) return set_status(slug, TenantStatus::deleted);
  for (const auto& code : std::vector<std::string>(tenant->modules.rbegin(), tenant->modules.rend())) {
    if (auto ok = disable_module(slug, code, true); !ok && ok.error().code() != Error::Code::conflict) return ok;
  }
  if (tenant->isolation == Isolation::shared && host_.backend() == db::Backend::sqlite) {
    auto pool = tenant_pool(*tenant);
    if (!pool) return pool.error();
    auto shared = (*pool)->acquire();
    if (!shared) return shared.error();
    try {
      db::Transaction tx(*shared);
      if (auto ok = shared_rows::purge_tenant(*shared, tenant->id); !ok) return ok.error();
      tx.commit();
    } catch (const std::exception& e) {
      return Error::failed("deleting the tenant's shared rows", e);
    }
  }
  if (tenant->isolation != Isolation::shared) {
    std::lock_guard lock(pools_mutex_);
    pools_.erase(tenant->id);  // close its own database before removing it
  }
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& s = lease->session();
    long long id = tenant->id;
    if (tenant->isolation == Isolation::isolated && host_.backend() == db::Backend::postgresql) {
      s << "DROP SCHEMA IF EXISTS " + db::dialect::quote_identifier(tenant->data_location).value() + " CASCADE";
      if (auto ok = roles::drop_role(*lease, roles::role_for(host_.url().database, tenant->data_location)); !ok) {
        return ok.error().with_context("purging the tenant's role");
      }
    }
    if (tenant->isolation == Isolation::shared && host_.backend() == db::Backend::postgresql) {
      if (auto ok = shared_rows::purge_tenant(*lease, tenant->id); !ok) return ok.error();
    }
    s << "DELETE FROM calyx_subscriptions WHERE tenant_id = :t", soci::use(id);
    s << "DELETE FROM calyx_domains WHERE tenant_id = :t", soci::use(id);
    s << "DELETE FROM calyx_module_settings WHERE tenant_id = :t", soci::use(id);
    s << "DELETE FROM calyx_api_tokens WHERE tenant_id = :t", soci::use(id);
    s << "UPDATE calyx_tenants SET parent_id = NULL WHERE parent_id = :t", soci::use(id);
    s << "DELETE FROM calyx_tenants WHERE id = :t", soci::use(id);
    bump_version(s, host_.backend());
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed("purging the tenant", e);
  }
  if (tenant->isolation == Isolation::isolated && host_.backend() == db::Backend::sqlite) {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(tenant->data_location + suffix, ignored);
  }
  spdlog::info("tenant {} purged", slug);
  return Ok{};
}

}  // namespace calyx::tenancy
