// Every request that is not one of the host's own routes: find the tenant (TenantDirectory), answer for its
// status (suspended 403, inactive 503, deleted or unknown 404), show its home page, or hand the request to
// the module route that serves it — only when the tenant subscribes to that module — and turn the module's
// answer into an HTTP response (fragments inside the tenant's layout).
// Thread-safety: handle() runs on worker threads concurrently; all state it reads is immutable or thread-safe.
#pragma once

#include "http/router.hpp"
#include "tenancy/tenant_directory.hpp"
#include "web/sessions.hpp"

#include <calyx/authz/authorize.hpp>

#include <calyx/modules/registry.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <functional>

namespace calyx::web {

class TenantFront {
 public:
  // `sessions` (may be null: no sign-in) resolves visitors and answers /sign-in and /sign-out.
  TenantFront(host::TenantDirectory& directory, tenancy::Tenancy& tenancy,
              std::function<http::Response(const http::Request&)> platform_page, SessionPages* sessions = nullptr);

  http::Response handle(const http::Request& request, const http::RequestContext& context);

 private:
  http::Response tenant_home(const http::Request& request, const tenancy::Tenant& tenant, const modules::CallUser& user,
                             const Visitor& visitor);
  http::Response run_module(const http::Request& request, const tenancy::Tenant& tenant, const modules::RouteMatch& match,
                            const modules::CallUser& user, const Visitor& visitor);
  authz::Subject subject(const tenancy::Tenant& tenant, const Visitor& visitor);
  modules::CallUser call_user(const tenancy::Tenant& tenant, const Visitor& visitor, const authz::Subject& who);

  host::TenantDirectory& directory_;
  tenancy::Tenancy& tenancy_;
  std::function<http::Response(const http::Request&)> platform_page_;
  SessionPages* sessions_;
};

// The plain page every tenant page is drawn in (the themed layouts come with the web UI).
std::string page_html(std::string_view title, std::string_view tenant_name, std::string_view main,
                      std::string_view nav = "");

// A JSON error for an API call refused before any tenant is known (401 carries WWW-Authenticate).
http::Response api_refusal(const http::Request& request, http::bhttp::status status, std::string_view message);

// A small HTML page for an error status, in the tenant's name when there is one.
http::Response error_page(const http::Request& request, http::bhttp::status status, std::string_view title,
                          std::string_view message, std::string_view tenant_name = "");

}  // namespace calyx::web
