// Every request that is not one of the host's own routes: find the tenant (TenantDirectory), answer for its
// status (suspended 403, inactive 503, deleted or unknown 404), show its home page, or hand the request to
// the module route that serves it — only when the tenant subscribes to that module — and turn the module's
// answer into an HTTP response (fragments inside the tenant's layout).
// Thread-safety: handle() runs on worker threads concurrently; all state it reads is immutable or thread-safe.
#pragma once

#include "http/router.hpp"
#include "tenancy/tenant_directory.hpp"
#include "web/admin_ui.hpp"
#include "web/layout.hpp"
#include "web/sessions.hpp"

#include <calyx/authz/authorize.hpp>
#include <calyx/modules/dispatch.hpp>

#include <calyx/modules/registry.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <functional>

namespace calyx::web {

class TenantFront {
 public:
  // `sessions` (may be null: no sign-in) resolves visitors and answers /sign-in and /sign-out; `admin` (may be
  // null) answers the tenant and platform admin pages.
  TenantFront(host::TenantDirectory& directory, tenancy::Tenancy& tenancy,
              std::function<http::Response(const http::Request&)> platform_page, SessionPages* sessions = nullptr,
              AdminPages* admin = nullptr);

  // Makes this front the router's fallback (every request no host route matches); it must outlive the router.
  void serve_unmatched(http::Router& router);

  http::Response handle(const http::Request& request, const http::RequestContext& context);

  // True when handle() will not block for this request, decided from memory: an anonymous request (no session
  // cookie, no API tenant) for a route declared CALYX_ROUTE_NONBLOCKING of a module the active tenant has.
  // The server then runs it on the I/O thread instead of handing it to a worker.
  bool never_blocks(const http::Request& request) const;

 private:
  // /theme.css, /theme.js and /theme/files/<field>: the tenant's (or, without one, the default) theme.
  http::Response theme_file(const http::Request& request, std::string_view path, const tenancy::Tenant* tenant);
  // The dashboard (members) or the workspace's public front page (everyone else).
  http::Response tenant_home(const http::Request& request, const tenancy::Tenant& tenant, const modules::CallUser& user,
                             const Visitor& visitor, const authz::Subject& who);
  http::Response run_module(const http::Request& request, const tenancy::Tenant& tenant, const modules::RouteMatch& match,
                            const modules::CallUser& user, const Visitor& visitor, const authz::Subject& who);
  authz::Subject subject(const tenancy::Tenant& tenant, const Visitor& visitor);
  modules::CallUser call_user(const tenancy::Tenant& tenant, const Visitor& visitor, const authz::Subject& who);
  modules::CallScope module_scope(const tenancy::Tenant& tenant, const modules::CallUser& user,
                                  const modules::DataScope& data);
  // The app layout's frame: the modules' entries the visitor may use, and the admin entries they may see.
  Frame frame(const http::Request& request, const tenancy::Tenant& tenant, const Visitor& visitor,
              const authz::Subject& who, const modules::CallUser& user);
  // The site layout's frame: the public entries of the tenant's modules.
  Frame site_frame(const http::Request& request, const tenancy::Tenant& tenant, const Visitor& visitor);

  host::TenantDirectory& directory_;
  tenancy::Tenancy& tenancy_;
  std::function<http::Response(const http::Request&)> platform_page_;
  SessionPages* sessions_;
  AdminPages* admin_;
};

// A JSON error for an API call refused before any tenant is known (401 carries WWW-Authenticate).
http::Response api_refusal(const http::Request& request, http::bhttp::status status, std::string_view message);

}  // namespace calyx::web
