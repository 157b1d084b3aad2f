// The tenant front: detection, status pages, module dispatch.
#include "web/tenant_front.hpp"

#include "web/assets.hpp"
#include "web/session_forms.hpp"

#include <calyx/modules/dispatch.hpp>
#include <calyx/orgs/memberships.hpp>
#include <calyx/templates/template.hpp>
#include <calyx/text.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace calyx::web {
namespace {

using http::bhttp::status;
using templates::escape_html;

}  // namespace

namespace {

// Every POST form of an HTML page gets the session's CSRF token, so modules need no CSRF plumbing.
std::string with_csrf(std::string html, const Visitor& visitor) {
  if (!visitor.session) return html;
  std::string field = R"(<input type="hidden" name="_csrf" value=")" + visitor.session->csrf_token + R"(">)";
  std::string lower = text::ascii_lower(html);
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

}  // namespace

http::Response api_refusal(const http::Request& request, status code, std::string_view message) {
  std::string body = R"({"error":")";
  for (char c : message) body += c == '"' ? std::string("\\\"") : std::string(1, c);  // messages are ours: no control characters
  body += "\"}";
  auto response = http::make_response(request, code, body, "application/json");
  if (code == status::unauthorized) response.set(http::bhttp::field::www_authenticate, R"(Bearer realm="calyx")");
  return response;
}

TenantFront::TenantFront(host::TenantDirectory& directory, tenancy::Tenancy& tenancy,
                         std::function<http::Response(const http::Request&)> platform_page, SessionPages* sessions,
                         AdminPages* admin)
    : directory_(directory), tenancy_(tenancy), platform_page_(std::move(platform_page)), sessions_(sessions), admin_(admin) {
  if (sessions_) {
    sessions_->set_frame_builder([this](const http::Request& request, const tenancy::Tenant& tenant, const Visitor& visitor) {
      authz::Subject who = subject(tenant, visitor);
      return frame(request, tenant, visitor, who, call_user(tenant, visitor, who));
    });
  }
}

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
  // The theme's files are served whatever the tenant's status: its error pages use them too.
  if (path == "/theme.css" || path == "/theme.js" || path.starts_with("/theme/files/")) return theme_file(request, path, tenant);
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
                        "This workspace is suspended. Its administrators have been told why.", tenant);
    case tenancy::TenantStatus::inactive: {
      auto response = error_page(request, status::service_unavailable, "Down for maintenance",
                                 "This workspace is under maintenance. Please come back shortly.", tenant);
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
    return tenant_home(request, *tenant, user, visitor, who);
  }
  if (admin_ && AdminPages::handles(path)) {
    if (!visitor.session) {
      if (request.method() == http::bhttp::verb::get) return redirect(request, "/sign-in?next=" + std::string(path));
      return error_page(request, status::forbidden, "Sign in required", "Sign in to manage the workspace.", tenant);
    }
    return admin_->handle(request, context, {*tenant, visitor, who, frame(request, *tenant, visitor, who, user)});
  }
  const auto& registry = tenancy_.registry();
  std::string method(request.method_string() == "HEAD" ? "GET" : std::string(request.method_string()));
  auto match = registry.route(method, path);
  bool subscribed = match && std::find(tenant->modules.begin(), tenant->modules.end(), match->target.module->code) !=
                                 tenant->modules.end();
  if (!subscribed) {
    // A module the tenant has not enabled is invisible: same answer as a path nobody serves.
    return error_page(request, status::not_found, "Page not found", "There is no page at this address.", tenant);
  }
  if (!match->target.route->is_public()) {
    auto decision = authz::authorize(who, tenancy_.registry(), tenant->modules, match->target.module->code,
                                     match->target.route->permission);
    if (!decision) {
      if (!visitor.session) {
        if (request.method() == http::bhttp::verb::get) return redirect(request, "/sign-in?next=" + std::string(path));
        return error_page(request, status::forbidden, "Sign in required",
                          "This page is for members of the workspace. Sign in to use it.", tenant);
      }
      Frame page = frame(request, *tenant, visitor, who, user);
      std::string body = fmt::format(R"(<h1>{}</h1><p data-refusal>{}</p>)", escape_html(page.tr("Not allowed")),
                                     escape_html(fmt::format("{} {}: {}.", page.tr("Refused at"),
                                                             authz::to_string(decision.layer), decision.reason)));
      return page_response(request, status::forbidden, page, Layout::app, page.tr("Not allowed"), body);
    }
  }
  return run_module(request, *tenant, *match, user, visitor, who);
}

void TenantFront::serve_unmatched(http::Router& router) {
  router.set_fallback(
      http::Runs::on_worker, [this](const http::Request& request, const http::RequestContext& context) { return handle(request, context); },
      [this](const http::Request& request) { return never_blocks(request); });
}

bool TenantFront::never_blocks(const http::Request& request) const {
  if (!request["X-Calyx-Tenant"].empty() || !cookie_value(request, session_forms::kSessionCookie).empty()) return false;
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/" || SessionPages::handles(path) || AdminPages::handles(path)) return false;
  auto resolution = directory_.resolve(request[http::bhttp::field::host]);  // holds the snapshot `tenant` is in
  const tenancy::Tenant* tenant = resolution.tenant;
  if (!tenant || tenant->status != tenancy::TenantStatus::active) return false;
  std::string method(request.method() == http::bhttp::verb::head ? "GET" : std::string(request.method_string()));
  auto match = tenancy_.registry().route(method, path);
  return match && match->target.route->never_blocks() &&
         std::find(tenant->modules.begin(), tenant->modules.end(), match->target.module->code) != tenant->modules.end();
}

http::Response TenantFront::theme_file(const http::Request& request, std::string_view path, const tenancy::Tenant* tenant) {
  static const themes::Resolved platform_theme = themes::resolve({});
  const themes::Resolved& theme = tenant ? tenant->effective_theme : platform_theme;
  if (path == "/theme.css") return cacheable_response(request, themes::stylesheet(theme), "text/css; charset=utf-8", theme.etag, false);
  if (path == "/theme.js") {
    if (!tenant || tenant->status != tenancy::TenantStatus::active || !tenant->allow_custom_js || theme.get("custom_js").empty()) {
      return http::make_response(request, status::not_found, "no custom script\n");
    }
    return cacheable_response(request, theme.get("custom_js"), "text/javascript; charset=utf-8", theme.etag, false);
  }
  std::string_view field = path.substr(std::string_view("/theme/files/").size());
  if (!tenant || !themes::is_image_field(field)) return http::make_response(request, status::not_found, "no such file\n");
  auto image = tenancy_.theme_image(tenant->id, field);
  if (!image) {
    // A child tenant that inherits an uploaded image points at its own /theme/files/…: serve the ancestor's.
    std::optional<std::int64_t> parent = tenant->parent_id;
    auto snapshot = directory_.snapshot();
    for (int depth = 0; !image && parent && depth < 16; ++depth) {
      image = tenancy_.theme_image(*parent, field);
      const tenancy::Tenant* ancestor = nullptr;
      for (const auto& candidate : snapshot->tenants) {
        if (candidate.id == *parent) ancestor = &candidate;
      }
      parent = ancestor ? ancestor->parent_id : std::nullopt;
    }
  }
  if (!image) return http::make_response(request, status::not_found, "no such file\n");
  auto response = cacheable_response(request, image->content, image->content_type, image->digest, false);
  // Uploaded images are served as what their bytes are, never sniffed as anything else, and run nothing.
  response.set("Content-Security-Policy", "default-src 'none'; sandbox");
  return response;
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

Frame TenantFront::frame(const http::Request& request, const tenancy::Tenant& tenant, const Visitor& visitor,
                         const authz::Subject& who, const modules::CallUser& user) {
  Frame frame = plain_frame(request, &tenant, &visitor);
  const auto& tr = frame.tr;
  const auto& registry = tenancy_.registry();
  std::vector<std::pair<int, NavItem>> entries;
  for (const auto& code : tenant.modules) {
    const modules::ModuleInfo* module = registry.find(code);
    if (!module) continue;
    const auto& items = module->sidebar_menu.empty() ? module->menu_items : module->sidebar_menu;
    for (const auto& item : items) {
      if (!item.permission.empty() && !user.can(item.permission)) continue;
      entries.push_back({item.order, {std::string(tr(item.label)), item.path, item.icon}});
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, item] : entries) frame.modules.push_back(std::move(item));
  if (admin_ && AdminPages::manages_tenant(who)) {
    frame.admin.push_back({std::string(tr("Members")), "/admin/members", "users"});
    frame.admin.push_back({std::string(tr("Modules")), "/admin/modules", "puzzle-piece"});
    frame.admin.push_back({std::string(tr("Theme")), "/admin/theme", "swatch"});
    frame.admin.push_back({std::string(tr("Domains")), "/admin/domains", "globe-alt"});
    frame.admin.push_back({std::string(tr("Settings")), "/admin/settings", "cog-6-tooth"});
  }
  if (admin_ && who.platform_admin) {
    frame.admin.push_back({std::string(tr("All workspaces")), "/platform/tenants", "building-office-2"});
    frame.admin.push_back({std::string(tr("Module catalog")), "/platform/modules", "cube"});
    frame.admin.push_back({std::string(tr("Users")), "/admin/users", "user-group"});
    frame.admin.push_back({std::string(tr("Audit log")), "/platform/audit", "clipboard-document-list"});
  }
  return frame;
}

// The public navigation of a workspace: its modules' menu entries that anyone may open.
Frame TenantFront::site_frame(const http::Request& request, const tenancy::Tenant& tenant, const Visitor& visitor) {
  Frame frame = plain_frame(request, &tenant, &visitor);
  for (const auto& code : tenant.modules) {
    const modules::ModuleInfo* module = tenancy_.registry().find(code);
    if (!module) continue;
    for (const auto& item : module->menu_items) {
      if (item.permission.empty()) frame.modules.push_back({std::string(frame.tr(item.label)), item.path, item.icon});
    }
  }
  return frame;
}

http::Response TenantFront::tenant_home(const http::Request& request, const tenancy::Tenant& tenant,
                                        const modules::CallUser& user, const Visitor& visitor, const authz::Subject& who) {
  bool member = who.membership.has_value() || who.platform_admin;
  if (!member) {
    Frame page = site_frame(request, tenant, visitor);
    std::string links;
    for (const auto& item : page.modules) {
      links += fmt::format(R"(<li><a href="{}">{}</a></li>)", escape_html(item.path), escape_html(item.label));
    }
    std::string body = fmt::format(R"(<h1>{}</h1><p class="mb-4">{}</p>{})", escape_html(tenant.name),
                                   escape_html(fmt::format("{} {}.", page.tr("Welcome to"), tenant.name)),
                                   links.empty() ? "" : R"(<ul class="list-disc pl-6">)" + links + "</ul>");
    return page_response(request, status::ok, page, Layout::site, tenant.name, body);
  }
  Frame page = frame(request, tenant, visitor, who, user);
  std::string widgets;
  auto scope = tenancy_.data_scope(tenant);
  if (scope) {
    modules::CallScope call_scope = module_scope(tenant, user, *scope);
    call_scope.locale = page.tr.locale();
    for (const auto& widget : modules::render_dashboard(tenancy_.registry(), call_scope)) {
      widgets += fmt::format(R"(<section class="card" data-widget="{}.{}" aria-labelledby="widget-{}-{}"><h2 id="widget-{}-{}">{}</h2>{}</section>)",
                             escape_html(widget.module), escape_html(widget.code), escape_html(widget.module),
                             escape_html(widget.code), escape_html(widget.module), escape_html(widget.code),
                             escape_html(page.tr(widget.title)), widget.html);
    }
  }
  if (widgets.empty()) widgets = fmt::format(R"(<p class="text-ink/70">{}</p>)", escape_html(page.tr("Nothing to show yet.")));
  std::string body = fmt::format(R"(<h1>{}</h1><div class="grid gap-6 md:grid-cols-2" data-dashboard>{}</div>)",
                                 escape_html(page.tr("Dashboard")), widgets);
  return page_response(request, status::ok, page, Layout::app, page.tr("Dashboard"), with_csrf(body, visitor));
}

modules::CallScope TenantFront::module_scope(const tenancy::Tenant& tenant, const modules::CallUser& user,
                                             const modules::DataScope& data) {
  modules::CallScope call_scope;
  call_scope.tenant = {tenant.id, tenant.slug, tenant.name, std::string(tenancy::to_string(tenant.isolation))};
  call_scope.user = user;
  call_scope.data = data;
  call_scope.host_pool = &tenancy_.host_pool();
  call_scope.active_modules = {tenant.modules.begin(), tenant.modules.end()};
  return call_scope;
}

http::Response TenantFront::run_module(const http::Request& request, const tenancy::Tenant& tenant,
                                       const modules::RouteMatch& match, const modules::CallUser& user,
                                       const Visitor& visitor, const authz::Subject& who) {
  // A route that never blocks gets no data scope (reaching an enterprise database may connect).
  Result<modules::DataScope> scope = modules::DataScope{};
  if (!match.target.route->never_blocks()) scope = tenancy_.data_scope(tenant);
  if (!scope) {
    return error_page(request, status::service_unavailable, "Temporarily unavailable",
                      "This workspace's data cannot be reached right now.", &tenant);
  }
  std::string_view target = request.target();
  auto question = target.find('?');
  modules::RequestView view;
  view.method = request.method() == http::bhttp::verb::head ? "GET" : std::string(request.method_string());
  view.path = std::string(target.substr(0, question));
  view.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
  view.body = request.body();
  for (const auto& field : request) {
    std::string name = text::ascii_lower(field.name_string());
    if (name == "x-calyx-locale") continue;  // the host's word, below, not the client's
    view.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  // The language the page is shown in (the person's choice, else the browser's, else the workspace's), so a
  // module can speak it too.
  view.headers.emplace_back("x-calyx-locale", page_locale(request, &tenant, &visitor));
  auto outcome = modules::run_route(tenancy_.registry(), match, std::move(view), module_scope(tenant, user, *scope));

  if (outcome.status != CALYX_OK && !outcome.response.written) {
    auto code = status_for(outcome.status);
    bool client_error = static_cast<int>(code) < 500;
    // A module's message helps a visitor with a 4xx; a 5xx's message stays in the log.
    return error_page(request, code, client_error ? "Request not accepted" : "Something went wrong",
                      client_error ? outcome.error : "The page failed. It has been logged; please try again later.",
                      &tenant);
  }
  auto& draft = outcome.response;
  http::Response response{static_cast<status>(draft.status), request.version()};
  response.keep_alive(request.keep_alive());
  for (const auto& [name, value] : draft.headers) response.insert(name, value);
  bool typed = response.find(http::bhttp::field::content_type) != response.end();
  // An htmx request asks for the fragment alone (a DataTable refreshing itself); others get the whole page.
  bool partial = request["HX-Request"] == "true" && request["HX-Boosted"] != "true";
  if (draft.render_in_layout && !partial && match.target.route->wants_layout()) {
    // Public routes are a workspace's website; the others are its application.
    bool site = match.target.route->is_public();
    Frame page = site ? site_frame(request, tenant, visitor) : frame(request, tenant, visitor, who, user);
    response.set(http::bhttp::field::content_type, "text/html; charset=utf-8");
    response.body() = render_page(page, site ? Layout::site : Layout::app, draft.title, with_csrf(std::move(draft.body), visitor));
    if (!page.flash.empty()) clear_flash(response);
  } else {
    if (!typed) response.set(http::bhttp::field::content_type, "text/html; charset=utf-8");
    bool html = response[http::bhttp::field::content_type].starts_with("text/html");
    response.body() = html ? with_csrf(std::move(draft.body), visitor) : std::move(draft.body);
  }
  if (visitor.session) response.set(http::bhttp::field::cache_control, "private, no-store");
  response.set(http::bhttp::field::vary, "HX-Request");
  response.prepare_payload();
  return response;
}

}  // namespace calyx::web
