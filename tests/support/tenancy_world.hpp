// A host's tenancy on a test database: the host migrations applied, Blog and a set of fixture modules
// loaded, a Tenancy over them, and a way to call a module route as a tenant, the way the HTTP layer does.
#pragma once

#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <calyx/modules/dispatch.hpp>
#include <calyx/modules/registry.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <memory>
#include <string>
#include <vector>

namespace calyx::testing {

struct TenancyWorld {
  explicit TenancyWorld(TestDatabase& database, db::PoolOptions pool_options = TestDatabase::quick_options());

  // Creates a tenant, failing the test when that fails.
  tenancy::Tenant create(const std::string& slug, std::vector<std::string> domains = {},
                         tenancy::Isolation isolation = tenancy::Isolation::isolated, const std::string& database_url = "");
  // The tenant as stored now (modules included).
  tenancy::Tenant reload(const std::string& slug);

  // Calls METHOD TARGET (path?query) on the module that serves it, as `tenant`, with a user holding every
  // Blog permission.
  modules::DispatchOutcome call(const tenancy::Tenant& tenant, const std::string& method, const std::string& target,
                                const std::string& body = "");

  TempDir modules_dir, data_dir;
  tenancy::TenancyOptions options;
  std::unique_ptr<modules::ModuleRegistry> registry;
  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<tenancy::Tenancy> tenants;
};

}  // namespace calyx::testing
