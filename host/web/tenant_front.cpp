// The tenant front: detection, status pages, module dispatch.
#include "web/tenant_front.hpp"

#include <calyx/modules/dispatch.hpp>
#include <calyx/orgs/memberships.hpp>
#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace calyx::web {
namespace {

using http::bhttp::status;
using templates::escape_html;

}  // namespace

std::string page_html(std::string_view title, std::string_view tenant_name, std::string_view main, std::string_view nav) {
  return fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{0}{1}</title></head>
<body><header><strong>{2}</strong>{3}</header>
<main>{4}</main></body></html>
)",
                     escape_html(title), tenant_name.empty() ? "" : " · " + escape_html(tenant_name), escape_html(tenant_name),
                     nav, main);
}

namespace {

// Menu entries of the tenant's modules that the visitor may use, and who is signed in.
std::string navigation(const modules::ModuleRegistry& registry, const tenancy::Tenant& tenant, const modules::CallUser& user,
                       const Visitor& visitor) {
  std::string nav;
  for (const auto& code : tenant.modules) {
    const modules::ModuleInfo* module = registry.find(code);
    if (!module) continue;
    for (const auto& item : module->menu_items) {
      if (!item.permission.empty() && !user.can(item.permission)) continue;
      nav += fmt::format(R"(<li><a href="{}">{}</a></li>)", escape_html(item.path), escape_html(item.label));
    }
  }
  std::string account;
  if (visitor.session) {
    account = fmt::format(R"(<form method="post" action="/sign-out"><span>{}</span> <button type="submit">Sign out</button></form>)",
                          escape_html(visitor.session->user.name.empty() ? visitor.session->user.email
                                                                          : visitor.session->user.name));
  } else {
    account = R"(<a href="/sign-in">Sign in</a>)";
  }
  return impersonation_banner(visitor) + (nav.empty() ? "" : "<nav><ul>" + nav + "</ul></nav>") + account;
}

// Every POST form of an HTML page gets the session's CSRF token, so modules need no CSRF plumbing.
std::string with_csrf(std::string html, const Visitor& visitor) {
  if (!visitor.session) return html;
  std::string field = R"(<input type="hidden" name="_csrf" value=")" + visitor.session->csrf_token + R"(">)";
  std::string lower(html.size(), '\0');
  std::transform(html.begin(), html.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string out;
  std::size_t cursor = 0;
  for (std::size_t at = lower.find("<form"); at != std::string::npos; at = lower.find("<form", at + 5)) {
    std::size_t end = lower.find('>', at);
    if (end == std::string::npos) break;
    std::string_view tag(lower.data() + at, end - at);
    if (tag.find("method=\"post\"") == std::string_view::npos && tag.find("method='post'") == std::string_view::npos &&
        tag.find("method=post") == std::string_view::npos) {
      continue;
    }
    out.append(html, cursor, end + 1 - cursor);
    out += field;
    cursor = end + 1;
  }
  out.append(html, cursor, std::string::npos);
  return out;
}

status status_for(calyx_status s) {
  switch (s) {
    case CALYX_INVALID_ARGUMENT: return status::bad_request;
    case CALYX_DENIED: return status::forbidden;
    case CALYX_NOT_FOUND: return status::not_found;
    case CALYX_CONFLICT: return status::conflict;
    case CALYX_UNAVAILABLE: return status::service_unavailable;
    default: return status::internal_server_error;
  }
}

}  // namespace

http::Response error_page(const http::Request& request, status code, std::string_view title, std::string_view message,
                          std::string_view tenant_name) {
  return http::make_response(request, code,
                             page_html(title, tenant_name, fmt::format("<h1>{}</h1><p>{}</p>", escape_html(title),
                                                                       escape_html(message))),
                             "text/html; charset=utf-8");
}

http::Response api_refusal(const http::Request& request, status code, std::string_view message) {
  std::string body = R"({"error":")";
  for (char c : message) body += c == '"' ? std::string("\\\"") : std::string(1, c);  // messages are ours: no control characters
  body += "\"}";
  auto response = http::make_response(request, code, body, "application/json");
  if (code == status::unauthorized) response.set(http::bhttp::field::www_authenticate, R"(Bearer realm="calyx")");
  return response;
}

TenantFront::TenantFront(host::TenantDirectory& directory, tenancy::Tenancy& tenancy,
                         std::function<http::Response(const http::Request&)> platform_page, SessionPages* sessions)
    : directory_(directory), tenancy_(tenancy), platform_page_(std::move(platform_page)), sessions_(sessions) {}

http::Response TenantFront::handle(const http::Request& request, const http::RequestContext& context) {
  std::string_view host = request[http::bhttp::field::host];
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  // Server-to-server calls may name the tenant instead of using its domain, with a token of that tenant.
  std::string_view named = request["X-Calyx-Tenant"];
  auto resolution = named.empty() ? directory_.resolve(host) : host::TenantDirectory::Resolution{};
  if (!named.empty()) {
    auto api = directory_.resolve_api(named, request[http::bhttp::field::authorization]);
    if (!api.tenant) return api_refusal(request, static_cast<status>(api.status), api.refusal);
    resolution = {api.snapshot, api.tenant};
  }
  const tenancy::Tenant* tenant = resolution.tenant;
  if (!tenant) {
    if (directory_.is_platform_host(host) && path == "/" && platform_page_) return platform_page_(request);
    return error_page(request, status::not_found, "No such workspace",
                      "There is no workspace at this address. Check the address, or ask your administrator.");
  }
  switch (tenant->status) {
    case tenancy::TenantStatus::deleted:
      return error_page(request, status::not_found, "No such workspace", "There is no workspace at this address.");
    case tenancy::TenantStatus::suspended:
      return error_page(request, status::forbidden, "Workspace suspended",
                        "This workspace is suspended. Its administrators have been told why.", tenant->name);
    case tenancy::TenantStatus::inactive: {
      auto response = error_page(request, status::service_unavailable, "Down for maintenance",
                                 "This workspace is under maintenance. Please come back shortly.", tenant->name);
      response.set(http::bhttp::field::retry_after, "300");
      return response;
    }
    case tenancy::TenantStatus::active: break;
  }
  Visitor visitor = sessions_ ? sessions_->visitor(request, *tenant) : Visitor{};
  if (sessions_) {
    if (auto refused = sessions_->check_csrf(request, visitor, *tenant)) return std::move(*refused);
    if (SessionPages::handles(path)) return sessions_->handle(request, context, *tenant, visitor);
  }
  // Who is asking, read once: the membership serves the authorization and the module's view of the user.
  authz::Subject who = subject(*tenant, visitor);
  modules::CallUser user = call_user(*tenant, visitor, who);
  if (path == "/" && (request.method() == http::bhttp::verb::get || request.method() == http::bhttp::verb::head)) {
    return tenant_home(request, *tenant, user, visitor);
  }
  const auto& registry = tenancy_.registry();
  std::string method(request.method_string() == "HEAD" ? "GET" : std::string(request.method_string()));
  auto match = registry.route(method, path);
  bool subscribed = match && std::find(tenant->modules.begin(), tenant->modules.end(), match->target.module->code) !=
                                 tenant->modules.end();
  if (!subscribed) {
    // A module the tenant has not enabled is invisible: same answer as a path nobody serves.
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", tenant->name);
  }
  if (!match->target.route->is_public()) {
    auto decision = authz::authorize(who, tenancy_.registry(), tenant->modules, match->target.module->code,
                                     match->target.route->permission);
    if (!decision) {
      if (!visitor.session) {
        if (request.method() == http::bhttp::verb::get) {
          auto response = http::make_response(request, status::see_other, "");
          response.set(http::bhttp::field::location, "/sign-in?next=" + std::string(path));
          return response;
        }
        return error_page(request, status::forbidden, "Sign in required",
                          "This page is for members of the workspace. Sign in to use it.", tenant->name);
      }
      return error_page(request, status::forbidden, "Not allowed",
                        fmt::format("Refused at {}: {}.", authz::to_string(decision.layer), decision.reason), tenant->name);
    }
  }
  return run_module(request, *tenant, *match, user, visitor);
}

authz::Subject TenantFront::subject(const tenancy::Tenant& tenant, const Visitor& visitor) {
  authz::Subject subject;
  if (!visitor.session || !sessions_) return subject;
  subject.user_id = visitor.session->user.id;
  subject.platform_admin = visitor.session->user.platform_admin;
  if (auto membership = sessions_->services().memberships.of(tenant.id, subject.user_id); membership && *membership) {
    subject.membership = std::move(**membership);
  }
  return subject;
}

modules::CallUser TenantFront::call_user(const tenancy::Tenant& tenant, const Visitor& visitor, const authz::Subject& who) {
  modules::CallUser user;
  if (!visitor.session) return user;
  user.id = visitor.session->user.id;
  user.email = visitor.session->user.email;
  user.name = visitor.session->user.name;
  if (who.membership) {
    user.roles.push_back(std::string(orgs::to_string(who.membership->role)));
    user.roles.insert(user.roles.end(), who.membership->module_roles.begin(), who.membership->module_roles.end());
  }
  if (who.platform_admin) user.roles.push_back("platform_admin");
  user.permissions = authz::permissions(who, tenancy_.registry(), tenant.modules);
  return user;
}

http::Response TenantFront::tenant_home(const http::Request& request, const tenancy::Tenant& tenant,
                                        const modules::CallUser& user, const Visitor& visitor) {
  std::string nav = navigation(tenancy_.registry(), tenant, user, visitor);
  return http::make_response(request, status::ok,
                             page_html(tenant.name, tenant.name,
                                  fmt::format("<h1>{}</h1><p>Welcome to the {} workspace.</p>", escape_html(tenant.name),
                                              escape_html(tenant.name)),
                                  with_csrf(nav, visitor)),
                             "text/html; charset=utf-8");
}

http::Response TenantFront::run_module(const http::Request& request, const tenancy::Tenant& tenant,
                                       const modules::RouteMatch& match, const modules::CallUser& user,
                                       const Visitor& visitor) {
  auto scope = tenancy_.data_scope(tenant);
  if (!scope) {
    return error_page(request, status::service_unavailable, "Temporarily unavailable",
                      "This workspace's data cannot be reached right now.", tenant.name);
  }
  std::string_view target = request.target();
  auto question = target.find('?');
  modules::RequestView view;
  view.method = request.method() == http::bhttp::verb::head ? "GET" : std::string(request.method_string());
  view.path = std::string(target.substr(0, question));
  view.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
  view.body = request.body();
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    view.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  modules::CallScope call_scope;
  call_scope.tenant = {tenant.id, tenant.slug, tenant.name, std::string(tenancy::to_string(tenant.isolation))};
  call_scope.user = user;
  call_scope.data = *scope;
  call_scope.host_pool = &tenancy_.host_pool();
  call_scope.active_modules = {tenant.modules.begin(), tenant.modules.end()};
  auto outcome = modules::run_route(tenancy_.registry(), match, std::move(view), call_scope);

  if (outcome.status != CALYX_OK && !outcome.response.written) {
    auto code = status_for(outcome.status);
    bool client_error = static_cast<int>(code) < 500;
    // A module's message helps a visitor with a 4xx; a 5xx's message stays in the log.
    return error_page(request, code, client_error ? "Request not accepted" : "Something went wrong",
                      client_error ? outcome.error : "The page failed. It has been logged; please try again later.",
                      tenant.name);
  }
  auto& draft = outcome.response;
  http::Response response{static_cast<status>(draft.status), request.version()};
  response.keep_alive(request.keep_alive());
  for (const auto& [name, value] : draft.headers) response.insert(name, value);
  bool typed = response.find(http::bhttp::field::content_type) != response.end();
  if (draft.render_in_layout) {
    response.set(http::bhttp::field::content_type, "text/html; charset=utf-8");
    response.body() = with_csrf(page_html(draft.title, tenant.name, draft.body, navigation(tenancy_.registry(), tenant, user, visitor)),
                                visitor);
  } else {
    if (!typed) response.set(http::bhttp::field::content_type, "text/html; charset=utf-8");
    bool html = response[http::bhttp::field::content_type].starts_with("text/html");
    response.body() = html ? with_csrf(std::move(draft.body), visitor) : std::move(draft.body);
  }
  if (visitor.session) response.set(http::bhttp::field::cache_control, "private, no-store");
  response.prepare_payload();
  return response;
}

}  // namespace calyx::web
