// A running host over real HTTP on a test database: host migrations, Blog and the notes fixture loaded,
// tenants acme (acme.test, acme.localhost; notes and blog) and globex (notes), the tenant front with sign-in,
// accounts, memberships and the audit log.
#pragma once

#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"
#include "tenancy/tenant_directory.hpp"
#include "web/sessions.hpp"
#include "web/tenant_front.hpp"

#include <calyx/accounts/accounts.hpp>
#include <calyx/audit/audit_log.hpp>
#include <calyx/orgs/memberships.hpp>
#include <calyx/orgs/orgs.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace calyx::testing {

// The password of every user the tests make.
inline constexpr const char* kPassword = "correct horse battery";

struct FrontWorld {
  explicit FrontWorld(TestDatabase& database);
  ~FrontWorld();

  // A confirmed user with kPassword; its id. In `tenant` (a slug) when given, with `role` and `module_role`.
  std::int64_t person(const char* email, bool platform_admin = false);
  std::int64_t member(const char* email, const char* tenant, orgs::TenantRole role, const char* module_role = nullptr);

  std::optional<HttpResponse> get(const std::string& host, const std::string& target);
  // Waits (at most `limit`) until `host` + `target` answers `status`.
  bool eventually(const std::string& host, const std::string& target, int status,
                  std::chrono::milliseconds limit = std::chrono::milliseconds(1500));

  TempDir modules_dir, data_dir;
  std::unique_ptr<modules::ModuleRegistry> registry;
  std::unique_ptr<db::ConnectionPool> pool;
  tenancy::TenancyOptions options;
  std::unique_ptr<tenancy::Tenancy> tenancy;
  std::unique_ptr<accounts::Accounts> accounts;
  std::unique_ptr<orgs::Memberships> memberships;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<mail::Outbox> outbox;
  std::unique_ptr<orgs::Orgs> orgs;
  std::unique_ptr<orgs::TenantInvitations> invitations;
  std::unique_ptr<web::SessionPages> sessions;
  std::unique_ptr<web::AdminPages> admin;
  std::unique_ptr<host::TenantDirectory> directory;
  std::unique_ptr<web::TenantFront> front;
  std::unique_ptr<http::Server> server;
};

}  // namespace calyx::testing
