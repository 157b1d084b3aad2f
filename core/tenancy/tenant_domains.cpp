// Tenancy: a tenant's domains and display name after creation.
#include <calyx/tenancy/names.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include "tenancy/records.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace calyx::tenancy {

Status Tenancy::add_domain(std::string_view slug, std::string_view host) {
  auto domain = normalize_domain(host);
  if (!domain) return domain.error();
  // Addresses that belong to the platform or to every workspace are never one workspace's to claim: the base
  // domain and its subdomains (<slug>.<base> are other workspaces' addresses), localhost, IP addresses.
  const std::string& base = options_.base_domain;
  bool numeric = domain->find_first_not_of("0123456789.") == std::string::npos;
  if ((!base.empty() && (*domain == base || domain->ends_with("." + base))) || *domain == "localhost" ||
      domain->ends_with(".localhost") || numeric) {
    return Error::invalid_argument(fmt::format("'{}' belongs to the platform; use a domain of your own", *domain));
  }
  return change(slug, "adding the domain", [&](soci::session& s, const Tenant& tenant) -> Status {
    std::string owner;
    soci::indicator indicator = soci::i_null;
    s << "SELECT t.slug FROM calyx_domains d JOIN calyx_tenants t ON t.id = d.tenant_id WHERE d.host = :host",
        soci::use(*domain), soci::into(owner, indicator);
    if (indicator == soci::i_ok) {
      return Error::conflict(owner == tenant.slug ? fmt::format("'{}' is already one of this workspace's domains", *domain)
                                                  : fmt::format("domain '{}' belongs to another workspace", *domain));
    }
    long long id = tenant.id;
    int primary = tenant.domains.empty() ? 1 : 0;
    s << "INSERT INTO calyx_domains (host, tenant_id, is_primary) VALUES (:host, :tenant, :primary)", soci::use(*domain),
        soci::use(id), soci::use(primary);
    return Ok{};
  });
}

Status Tenancy::remove_domain(std::string_view slug, std::string_view host) {
  return change(slug, "removing the domain", [&](soci::session& s, const Tenant& tenant) -> Status {
    auto it = std::find(tenant.domains.begin(), tenant.domains.end(), host);
    if (it == tenant.domains.end()) return Error::not_found(fmt::format("'{}' is not one of this workspace's domains", host));
    if (tenant.domains.size() == 1) {
      return Error::conflict("a workspace keeps at least one domain; add another before removing this one");
    }
    std::string name(host);
    long long id = tenant.id;
    s << "DELETE FROM calyx_domains WHERE host = :host AND tenant_id = :tenant", soci::use(name), soci::use(id);
    if (it == tenant.domains.begin()) {  // the primary one: the next takes over
      std::string next = tenant.domains[1];
      s << "UPDATE calyx_domains SET is_primary = 1 WHERE host = :host", soci::use(next);
    }
    return Ok{};
  });
}

Status Tenancy::set_primary_domain(std::string_view slug, std::string_view host) {
  return change(slug, "changing the primary domain", [&](soci::session& s, const Tenant& tenant) -> Status {
    if (std::find(tenant.domains.begin(), tenant.domains.end(), host) == tenant.domains.end()) {
      return Error::not_found(fmt::format("'{}' is not one of this workspace's domains", host));
    }
    std::string name(host);
    long long id = tenant.id;
    s << "UPDATE calyx_domains SET is_primary = CASE WHEN host = :host THEN 1 ELSE 0 END WHERE tenant_id = :tenant",
        soci::use(name), soci::use(id);
    return Ok{};
  });
}

}  // namespace calyx::tenancy
