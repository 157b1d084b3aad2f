// Tenancy: creating and managing tenants, their domains and their module subscriptions, and knowing where
// each tenant's module data lives (its data scope). Every change bumps a version counter in the host's
// database so that every running host notices it.
// Thread-safety: all members are safe to call from several threads (pools are thread-safe; the scope cache
// is locked).
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/migrations/migrator.hpp>
#include <calyx/modules/database_services.hpp>
#include <calyx/modules/registry.hpp>
#include <calyx/tenancy/tenant.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace calyx::tenancy {

struct TenancyOptions {
  std::string schema_prefix = "tenant_";   // CALYX_TENANT_SCHEMA_PREFIX
  bool create_schemas = true;               // CALYX_CREATE_TENANT_SCHEMAS
  std::vector<std::string> reserved;        // CALYX_RESERVED_TENANTS
  std::string sqlite_directory = "var/tenants";  // isolated SQLite tenants: one database file each
  std::string base_domain;                  // CALYX_BASE_DOMAIN: workspaces may not claim it or its subdomains
};

struct NewTenant {
  std::string slug, name;
  Isolation isolation = Isolation::isolated;
  std::vector<std::string> domains;  // the first is the primary one
  std::string parent_slug;           // empty: no parent
  std::string database_url;          // enterprise only: the tenant's own database
  std::vector<std::string> modules;  // enabled as part of the creation (with what they depend on)
};

// An API token of a tenant, as listed (the secret itself is never stored).
struct ApiToken {
  std::int64_t id = 0;
  std::string name, prefix, created_at;  // prefix: the token's first characters, to recognise it
};

// The stored form of an API token: hex BLAKE2b-256 of the whole token text.
std::string hash_api_token(std::string_view token);

// What `migrate_tenants` did for one tenant.
struct TenantMigration {
  enum class State { up_to_date, migrated, failed };
  std::string tenant;                 // slug
  State state = State::up_to_date;
  std::vector<std::string> applied;   // "blog 0002_add_summary", in order
  std::string error;                  // failed: what and where; the tenant's scope was rolled back
  std::chrono::milliseconds duration{0};
};

class Tenancy {
 public:
  Tenancy(db::ConnectionPool& host, TenancyOptions options, const modules::ModuleRegistry& registry);
  ~Tenancy();

  // Creates a tenant with its domains, its data location and its first modules, all or nothing (a failing step
  // removes what the earlier ones made; the error names the step), then fires tenant_created.
  Result<Tenant> create(const NewTenant& spec);
  // Tenants whose parent is `slug`.
  Result<std::vector<Tenant>> children(std::string_view slug);
  Result<std::vector<Tenant>> list();
  Result<Tenant> find(std::string_view slug);
  Status set_status(std::string_view slug, TenantStatus status);
  Status set_signup(std::string_view slug, bool allowed);
  // The organization that owns the tenant.
  Status set_org(std::string_view slug, std::int64_t org_id);
  // The address the tenant's emails come from (empty: the platform's no-reply address).
  Status set_support_email(std::string_view slug, std::string_view email);

  // Domains (tenant_domains.cpp): added normalized (refused when invalid or another tenant's), removed (never
  // the last one), or made the primary one (the address emails and links use).
  Status add_domain(std::string_view slug, std::string_view host);
  Status remove_domain(std::string_view slug, std::string_view host);
  Status set_primary_domain(std::string_view slug, std::string_view host);

  // White-label (tenant_themes.cpp). The theme fields the tenant sets itself, replacing what it had; every
  // value is validated first and nothing is kept when one is refused (the error lists each refusal).
  Status set_theme(std::string_view slug, const themes::Values& values);
  // Whether the tenant's custom JavaScript may run (a platform admin's decision).
  Status set_custom_js_allowed(std::string_view slug, bool allowed);
  // The tenant's default interface language ("en" or "pt-BR").
  Status set_locale(std::string_view slug, std::string_view locale);
  // What the workspace's settings page sets, all checked first and stored together or not at all: the display
  // name (1–120 characters, trimmed, no control characters), the language, whether people may sign up.
  struct WorkspaceSettings {
    std::string name, locale;
    bool allow_signup = false;
  };
  Status set_workspace_settings(std::string_view slug, const WorkspaceSettings& settings);
  // Stores an uploaded image for an image field (type from its bytes, size-checked) and points the field at
  // it; returns the field's new value (a same-origin URL that changes with the content).
  Result<std::string> put_theme_image(std::string_view slug, std::string_view field, std::string_view bytes);
  struct ThemeImage {
    std::string content_type, content, digest;
  };
  Result<ThemeImage> theme_image(std::int64_t tenant_id, std::string_view field);
  // Runs hook `point` with `data_json` for the tenant's modules (e.g. user_created when someone joins).
  Status fire_hook(const Tenant& tenant, std::string_view point, const std::string& data_json);
  // Someone joined the tenant (signed up, accepted an invitation, was added): fires user_created with
  // {"user_id", "email", "tenant"}.
  Status user_joined(const Tenant& tenant, std::int64_t user_id, std::string_view email);
  // Soft delete (status deleted, data kept) or, with `purge`, removes the tenant's data and records. Fires
  // tenant_deleted first, while the tenant's modules can still reach its data.
  Status remove(std::string_view slug, bool purge);

  // Enables `code` and what it depends on: migrations in the tenant's scope, setup_tenant, the subscription,
  // then the module_enabled hook. Returns the codes enabled now, dependencies first.
  Result<std::vector<std::string>> enable_module(std::string_view slug, std::string_view code,
                                                 std::string_view options_json = "{}");
  // Stops routing to the module for the tenant and fires module_disabled; the data stays unless `purge`,
  // which calls the module's cleanup_tenant.
  Status disable_module(std::string_view slug, std::string_view code, bool purge);

  // Applies the pending migrations of every tenant's modules (or only `slug`'s), `jobs` scopes at a time.
  // Each scope — an isolated or enterprise tenant, or the shared scope once for all shared tenants — migrates
  // in one transaction: a failure rolls that scope back, is reported, and does not stop the others; running
  // again resumes. Scopes with nothing to apply are found with one query and not touched.
  Result<std::vector<TenantMigration>> migrate_tenants(std::string_view slug, unsigned jobs);

  // API tokens: issue returns the token (shown once: only its hash is kept); revoke by name. Both move the
  // version, so running hosts pick them up within a second.
  Result<std::string> issue_token(std::string_view slug, std::string_view name);
  Result<std::vector<ApiToken>> tokens(std::string_view slug);
  Status revoke_token(std::string_view slug, std::string_view name);
  // Every live token's hash and its tenant, for the in-memory directory.
  Result<std::map<std::string, std::int64_t, std::less<>>> token_hashes();

  // Where the tenant's module data lives (opening its database if it has one of its own).
  Result<modules::DataScope> data_scope(const Tenant& tenant);
  // The change counter: it moves whenever a tenant, domain or subscription changes.
  Result<std::int64_t> version();

  const modules::ModuleRegistry& registry() const { return registry_; }
  db::ConnectionPool& host_pool() { return host_; }

 private:
  Result<std::vector<Tenant>> read_tenants(std::string_view slug);
  // One change to a tenant's settings: finds it, runs `apply` in a transaction on the host database, moves the
  // version; `what` names the change in errors ("changing the language"). `apply` may return an error to
  // refuse (nothing is kept) and throws soci errors like the statements around it.
  Status change(std::string_view slug, std::string_view what,
                const std::function<Status(soci::session&, const Tenant&)>& apply);
  Result<db::ConnectionPool*> tenant_pool(const Tenant& tenant);
  Status migrate_module(const Tenant& tenant, const modules::DataScope& scope, const modules::ModuleInfo& module);
  Status record_migrated(const Tenant& tenant, const modules::ModuleInfo& module);
  Status prepare_schema(db::Lease& lease, const std::string& schema, bool shared);
  migrations::Scope migration_scope(const Tenant& tenant, const modules::DataScope& data, const std::string& component);
  Result<Tenant> create_record(const NewTenant& spec);
  Result<bool> slug_taken(std::string_view slug);
  // Enables `code` (and its dependencies) for `tenant`, adding them to tenant.modules.
  Result<std::vector<std::string>> enable_for(Tenant& tenant, std::string_view code, std::string_view options_json);

  db::ConnectionPool& host_;
  TenancyOptions options_;
  const modules::ModuleRegistry& registry_;
  std::mutex pools_mutex_;
  std::map<std::int64_t, std::unique_ptr<db::ConnectionPool>> pools_;  // guarded by pools_mutex_
};

}  // namespace calyx::tenancy
