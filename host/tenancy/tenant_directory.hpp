// Which tenant a request is for, answered from memory: a snapshot of every tenant and domain, replaced
// whole when the tenancy version in the database moves. A background thread waits for the database's change
// signal (LISTEN/NOTIFY on PostgreSQL, data_version on SQLite) and checks every 5 s regardless, so a change
// made by the CLI or another host reaches this one well within a second. A request resolves its tenant
// once and carries it explicitly; nothing is kept per thread.
// Thread-safety: resolve() from any thread, lock-free (an atomic shared_ptr to an immutable snapshot).
#pragma once

#include <calyx/tenancy/tenancy.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace calyx::host {

struct TenantSnapshot {
  std::vector<tenancy::Tenant> tenants;
  std::map<std::string, const tenancy::Tenant*, std::less<>> by_domain;
  std::map<std::string, const tenancy::Tenant*, std::less<>> by_slug;
  std::map<std::string, std::int64_t, std::less<>> tenant_by_token_hash;  // API tokens
  std::int64_t version = -1;
};

class TenantDirectory {
 public:
  // `base_domain`: tenants answer at <slug>.<base_domain>; `default_slug`: the tenant for any other host
  // (empty: none).
  TenantDirectory(tenancy::Tenancy& tenancy, std::string base_domain, std::string default_slug);
  ~TenantDirectory();  // stops the watcher

  // Loads the snapshot now (fails when the database cannot be read) and starts watching for changes.
  Status start();

  struct Resolution {
    std::shared_ptr<const TenantSnapshot> snapshot;  // keeps `tenant` alive while the request uses it
    const tenancy::Tenant* tenant = nullptr;         // null: no such workspace
  };
  // Exact custom domain → <slug>.<base domain> → the default tenant → none. `host` is the Host header.
  Resolution resolve(std::string_view host) const;
  // The tenant an API call names in X-Calyx-Tenant, proven by its bearer token (hash looked up in memory).
  struct ApiResolution {
    std::shared_ptr<const TenantSnapshot> snapshot;
    const tenancy::Tenant* tenant = nullptr;  // null: refused, see `refusal`
    int status = 0;                           // 401 (no or unknown token) or 403 (another tenant's token)
    std::string refusal;
  };
  ApiResolution resolve_api(std::string_view slug, std::string_view authorization) const;

  // The current snapshot (every tenant, as last loaded).
  std::shared_ptr<const TenantSnapshot> snapshot() const { return snapshot_.load(); }

  // True when `host` is the platform's own address (the base domain itself, or an IP/localhost).
  bool is_platform_host(std::string_view host) const;

  // Reloads now if the version moved; returns whether it did.
  Result<bool> refresh();

 private:
  void watch();

  tenancy::Tenancy& tenancy_;
  std::string base_domain_, default_slug_;
  std::atomic<std::shared_ptr<const TenantSnapshot>> snapshot_;
  std::mutex refresh_mutex_;  // serializes refresh()
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread watcher_;
};

}  // namespace calyx::host
