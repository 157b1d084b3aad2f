// The in-memory tenant directory and its watcher.
#include "tenancy/tenant_directory.hpp"

#include <calyx/db/change_signal.hpp>
#include <calyx/tenancy/names.hpp>

#include <spdlog/spdlog.h>

namespace calyx::host {

TenantDirectory::TenantDirectory(tenancy::Tenancy& tenancy, std::string base_domain, std::string default_slug)
    : tenancy_(tenancy), base_domain_(std::move(base_domain)), default_slug_(std::move(default_slug)) {
  snapshot_.store(std::make_shared<const TenantSnapshot>());
}

TenantDirectory::~TenantDirectory() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

Status TenantDirectory::start() {
  auto loaded = refresh();
  if (!loaded) return loaded.error();
  watcher_ = std::thread([this] { watch(); });
  return Ok{};
}

Result<bool> TenantDirectory::refresh() {
  // One reload at a time: the watcher and a request refreshing after its own change must not race, or the
  // one that read the older state could store it last.
  std::lock_guard reloading(refresh_mutex_);
  auto version = tenancy_.version();
  if (!version) return version.error();
  if (*version == snapshot_.load()->version) return false;
  auto tenants = tenancy_.list();
  if (!tenants) return tenants.error();
  auto tokens = tenancy_.token_hashes();
  if (!tokens) return tokens.error();
  auto snapshot = std::make_shared<TenantSnapshot>();
  snapshot->version = *version;
  snapshot->tenant_by_token_hash = std::move(tokens.value());
  snapshot->tenants = std::move(tenants.value());
  for (const auto& tenant : snapshot->tenants) {
    snapshot->by_slug.emplace(tenant.slug, &tenant);
    for (const auto& domain : tenant.domains) snapshot->by_domain.emplace(domain, &tenant);
  }
  snapshot_.store(std::move(snapshot));
  return true;
}

// Waits for the database to signal a change (NOTIFY on PostgreSQL, data_version on SQLite), then reloads if
// the tenancy version moved. Every few seconds it checks anyway, in case a signal was lost.
void TenantDirectory::watch() {
  auto signal = db::ChangeSignal::open(tenancy_.host_pool().url(), "calyx_tenancy");
  if (!signal) spdlog::warn("tenant directory: {}; checking for changes every 250 ms instead", signal.error().message());
  auto last_check = std::chrono::steady_clock::now();
  bool signal_failing = false;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    bool check = true;
    if (signal) {
      auto changed = (*signal)->wait(std::chrono::milliseconds(250));
      if (!changed && !signal_failing) spdlog::warn("tenant directory: {}", changed.error().message());
      signal_failing = !changed;
      check = !changed || *changed || std::chrono::steady_clock::now() - last_check > std::chrono::seconds(5);
    } else {
      std::unique_lock lock(mutex_);
      stop_signal_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; });
    }
    if (!check) continue;
    last_check = std::chrono::steady_clock::now();
    if (auto changed = refresh(); !changed) spdlog::warn("tenant directory refresh failed: {}", changed.error().message());
    else if (*changed) spdlog::info("tenant directory reloaded");
  }
}

TenantDirectory::ApiResolution TenantDirectory::resolve_api(std::string_view slug, std::string_view authorization) const {
  ApiResolution resolution{snapshot_.load(), nullptr, 401, {}};
  const auto& snapshot = *resolution.snapshot;
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer) || authorization.size() == kBearer.size()) {
    resolution.refusal = "naming a tenant with X-Calyx-Tenant needs an API token of that tenant (Authorization: Bearer ...)";
    return resolution;
  }
  auto token = snapshot.tenant_by_token_hash.find(tenancy::hash_api_token(authorization.substr(kBearer.size())));
  if (token == snapshot.tenant_by_token_hash.end()) {
    resolution.refusal = "the API token is not valid (revoked, or never issued)";
    return resolution;
  }
  auto named = snapshot.by_slug.find(slug);
  if (named == snapshot.by_slug.end() || named->second->id != token->second) {
    resolution.status = 403;
    resolution.refusal = "the API token does not belong to the tenant named in X-Calyx-Tenant";
    return resolution;
  }
  resolution.tenant = named->second;
  resolution.status = 200;
  return resolution;
}

bool TenantDirectory::is_platform_host(std::string_view host) const {
  auto normalized = tenancy::normalize_domain(host);
  return !normalized || *normalized == base_domain_ || *normalized == "localhost";
}

TenantDirectory::Resolution TenantDirectory::resolve(std::string_view host) const {
  Resolution resolution{snapshot_.load(), nullptr};
  const auto& snapshot = *resolution.snapshot;
  auto normalized = tenancy::normalize_domain(host);
  if (normalized) {
    if (auto it = snapshot.by_domain.find(*normalized); it != snapshot.by_domain.end()) {
      resolution.tenant = it->second;
      return resolution;
    }
    std::string suffix = "." + base_domain_;
    if (normalized->size() > suffix.size() && normalized->ends_with(suffix)) {
      std::string_view slug = std::string_view(*normalized).substr(0, normalized->size() - suffix.size());
      if (auto it = snapshot.by_slug.find(slug); it != snapshot.by_slug.end()) {
        resolution.tenant = it->second;
        return resolution;
      }
      return resolution;  // a subdomain of ours that no tenant has: no such workspace
    }
  }
  if (!default_slug_.empty()) {
    if (auto it = snapshot.by_slug.find(default_slug_); it != snapshot.by_slug.end()) resolution.tenant = it->second;
  }
  return resolution;
}

}  // namespace calyx::host
