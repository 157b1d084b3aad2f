// Layouts, flash messages, icons.
#include "web/layout.hpp"

#include "web/assets.hpp"
#include "web/session_forms.hpp"
#include "web/sessions.hpp"

#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <array>
#include <utility>

namespace calyx::web {
namespace {

using templates::escape_html;

constexpr std::string_view kFlashCookie = "calyx_flash";
constexpr std::string_view kLocaleCookie = "calyx_locale";

// Flash keys and their (English) messages; the cookie holds the key.
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kFlashes{{
    {"", ""},
    {"theme-saved", "The theme is saved."},
    {"module-enabled", "The module is on."},
    {"module-disabled", "The module is off. Its data is kept."},
    {"settings-saved", "The settings are saved."},
    {"domain-added", "The domain is added."},
    {"domain-removed", "The domain is removed."},
    {"member-updated", "The member's roles are saved."},
    {"member-removed", "The member is removed from the workspace."},
    {"invitation-sent", "The invitation is sent."},
    {"tenant-created", "The workspace is created."},
    {"tenant-updated", "The workspace is updated."},
    {"language-changed", "The language is changed."},
    {"invitation-revoked", "The invitation was revoked."},
}};

const themes::Resolved& default_theme() {
  static const themes::Resolved theme = themes::resolve({});
  return theme;
}

const themes::Resolved& theme_of(const Frame& frame) {
  return frame.tenant ? frame.tenant->effective_theme : default_theme();
}

std::string brand(const Frame& frame) {
  const auto& theme = theme_of(frame);
  if (auto company = theme.get("company_name"); !company.empty()) return std::string(company);
  return frame.tenant ? frame.tenant->name : "Calyx";
}

std::string logo(const Frame& frame, std::string_view classes) {
  auto url = theme_of(frame).get("logo_url");
  if (url.empty()) return fmt::format(R"(<span class="text-lg font-semibold font-heading">{}</span>)", escape_html(brand(frame)));
  return fmt::format(R"(<img src="{}" alt="{}" class="{}" data-logo>)", escape_html(url), escape_html(brand(frame)), classes);
}

// A tenant's custom JavaScript runs on its app and public pages only: never where passwords are typed (the auth
// layout), on the admin, platform or account pages, or for a platform admin, whose session reaches every
// workspace.
bool runs_custom_js(const Frame& frame, Layout layout) {
  if (!frame.tenant || !frame.tenant->allow_custom_js || layout == Layout::auth) return false;
  if (frame.visitor && frame.visitor->session && frame.visitor->session->user.platform_admin) return false;
  for (std::string_view guarded : {"/admin", "/platform", "/account", "/join", "/invitation", "/org"}) {
    if (frame.path.starts_with(guarded)) return false;
  }
  return true;
}

std::string head(const Frame& frame, Layout layout, std::string_view title) {
  const auto& assets = Assets::instance();
  const auto& theme = theme_of(frame);
  std::string favicon;
  if (auto url = theme.get("favicon_url"); !url.empty()) favicon = fmt::format(R"(<link rel="icon" href="{}">)", escape_html(url));
  std::string custom_js;
  if (runs_custom_js(frame, layout) && !theme.get("custom_js").empty()) {
    custom_js = fmt::format(R"(<script src="/theme.js?v={}" defer></script>)", theme.etag);
  }
  return fmt::format(
      R"(<!doctype html>
<html lang="{}" class="h-full">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true}}'>
<title>{}{}</title>
{}<link rel="stylesheet" href="{}">
<link rel="stylesheet" href="/theme.css?v={}">
<script src="{}" defer></script>
<script src="{}" defer></script>
<script src="{}" defer></script>
{}</head>
)",
      escape_html(frame.tr.locale()), title == brand(frame) ? std::string() : escape_html(title) + " · ",
      escape_html(brand(frame)), favicon, assets.url("app.css"),
      theme.etag, assets.url("calyx.js"), assets.url("htmx.js"), assets.url("alpine.js"), custom_js);
}

std::string flash_html(const Frame& frame) {
  if (frame.flash.empty()) return {};
  return fmt::format(
      R"(<div x-data="dismissable" x-show="shown" role="status" class="flash flash-info flex items-start justify-between gap-4" data-flash><span>{}</span><button type="button" class="text-sm underline" x-on:click="dismiss">{}</button></div>)",
      escape_html(frame.flash), escape_html(frame.tr("Dismiss")));
}

std::string footer(const Frame& frame) {
  const auto& theme = theme_of(frame);
  std::string copyright(theme.get("copyright_text"));
  if (copyright.empty()) copyright = "© " + brand(frame);
  std::string support;
  if (auto email = theme.get("support_email"); !email.empty()) {
    support = fmt::format(R"( · <a href="mailto:{0}">{0}</a>)", escape_html(email));
  }
  return fmt::format(R"(<footer class="px-4 py-6 text-center text-xs text-ink/70">{}{}</footer>)", escape_html(copyright),
                     support);
}

std::string nav_link(const Frame& frame, const NavItem& item) {
  bool current = item.path == frame.path || (item.path != "/" && frame.path.starts_with(item.path + "/"));
  return fmt::format(R"(<a class="nav-link" href="{}"{}>{}<span>{}</span></a>)", escape_html(item.path),
                     current ? R"( aria-current="page")" : "", icon_svg(item.icon), escape_html(item.label));
}

std::string user_menu(const Frame& frame) {
  const auto& tr = frame.tr;
  if (!frame.visitor || !frame.visitor->session) {
    return fmt::format(R"(<a class="nav-link" href="/sign-in">{}<span>{}</span></a>)", icon_svg("arrow-right-on-rectangle"),
                       escape_html(tr("Sign in")));
  }
  const auto& user = frame.visitor->session->user;
  return fmt::format(
      R"(<div x-data="dropdown" x-on:keydown.escape.window="close" x-on:click.outside="close" class="relative">
<button type="button" class="nav-link w-full" x-on:click="toggle" aria-haspopup="true" x-bind:aria-expanded="open" aria-controls="user-menu" data-user-menu>{}<span class="truncate">{}</span></button>
<div id="user-menu" x-show="open" x-cloak class="mt-1 space-y-1">
<a class="nav-link" href="/account/security">{}<span>{}</span></a>
<a class="nav-link" href="/account/language">{}<span>{}</span></a>
<form method="post" action="/sign-out"><input type="hidden" name="_csrf" value="{}"><button type="submit" class="nav-link w-full">{}<span>{}</span></button></form>
</div></div>)",
      icon_svg("user-circle"), escape_html(user.name.empty() ? user.email : user.name), icon_svg("shield-check"),
      escape_html(tr("Account security")), icon_svg("language"), escape_html(tr("Language")),
      escape_html(frame.visitor->session->csrf_token), icon_svg("arrow-left-on-rectangle"), escape_html(tr("Sign out")));
}

std::string app_body(const Frame& frame, std::string_view main) {
  const auto& tr = frame.tr;
  std::string nav = nav_link(frame, {std::string(tr("Dashboard")), "/", "home"});
  for (const auto& item : frame.modules) nav += nav_link(frame, item);
  if (!frame.admin.empty()) {
    nav += fmt::format(R"(<p class="px-3 pt-5 pb-1 text-xs font-semibold uppercase tracking-wide text-gray-600">{}</p>)",
                       escape_html(tr("Administration")));
    for (const auto& item : frame.admin) nav += nav_link(frame, item);
  }
  return fmt::format(
      R"(<div x-data="sidebar" class="min-h-screen md:flex">
<div class="flex items-center justify-between border-b border-gray-200 bg-white p-3 md:hidden">
<a href="/" class="no-underline">{}</a>
<button type="button" class="btn btn-secondary" x-on:click="toggle" aria-controls="sidebar" x-bind:aria-expanded="open">{}<span>{}</span></button>
</div>
<aside id="sidebar" class="hidden flex-col border-r border-gray-200 bg-white md:flex md:w-64 md:shrink-0" x-bind:class="panelClass" aria-label="{}">
<div class="hidden p-4 md:block"><a href="/" class="no-underline">{}</a></div>
<nav class="flex-1 space-y-1 p-3" aria-label="{}" data-sidebar>{}</nav>
<div class="border-t border-gray-200 p-3">{}</div>
</aside>
<div class="flex min-w-0 flex-1 flex-col">
<main id="main" class="flex-1 p-4 md:p-8">{}{}</main>
{}
</div>
</div>
)",
      logo(frame, "h-8 w-auto"), icon_svg("bars-3"), escape_html(tr("Menu")), escape_html(tr("Main navigation")),
      logo(frame, "h-10 w-auto"), escape_html(tr("Main navigation")), nav, user_menu(frame), flash_html(frame), main,
      footer(frame));
}

std::string auth_body(const Frame& frame, std::string_view main) {
  return fmt::format(
      R"(<div class="login-background flex min-h-screen flex-col items-center justify-center p-4">
<div class="card w-full max-w-md">
<div class="mb-6 flex justify-center"><a href="/" class="no-underline">{}</a></div>
<main id="main">{}{}</main>
</div>
{}
</div>
)",
      logo(frame, "h-12 w-auto"), flash_html(frame), main, footer(frame));
}

std::string site_body(const Frame& frame, std::string_view main) {
  std::string nav;
  for (const auto& item : frame.modules) {
    nav += fmt::format(R"(<a href="{}" class="text-sm font-medium">{}</a>)", escape_html(item.path), escape_html(item.label));
  }
  std::string account = frame.visitor && frame.visitor->session
                            ? fmt::format(R"(<a href="/" class="text-sm font-medium">{}</a>)", escape_html(frame.tr("Dashboard")))
                            : fmt::format(R"(<a href="/sign-in" class="text-sm font-medium">{}</a>)", escape_html(frame.tr("Sign in")));
  return fmt::format(
      R"(<header class="border-b border-gray-200 bg-white">
<div class="mx-auto flex max-w-4xl flex-wrap items-center justify-between gap-4 p-4">
<a href="/" class="no-underline">{}</a>
<nav class="flex flex-wrap items-center gap-4" aria-label="{}">{}{}</nav>
</div></header>
<main id="main" class="mx-auto max-w-4xl p-4 md:py-8">{}{}</main>
{}
)",
      logo(frame, "h-8 w-auto"), escape_html(frame.tr("Site")), nav, account, flash_html(frame), main, footer(frame));
}

}  // namespace

std::string icon_svg(std::string_view name, std::string_view classes) {
  std::string_view svg = Assets::instance().icon(name.empty() ? "stop" : name);
  if (svg.empty()) svg = Assets::instance().icon("stop");
  if (svg.empty()) return {};
  // Heroicons' SVGs start with "<svg "; give them a size.
  return fmt::format(R"(<svg class="{} shrink-0" {})", classes, svg.substr(5));
}

std::string render_page(const Frame& frame, Layout layout, std::string_view title, std::string_view main) {
  std::string banner = frame.visitor ? impersonation_banner(*frame.visitor) : std::string();
  std::string skip = fmt::format(
      R"(<a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2">{}</a>)",
      escape_html(frame.tr("Skip to content")));
  std::string body;
  switch (layout) {
    case Layout::app: body = app_body(frame, main); break;
    case Layout::auth: body = auth_body(frame, main); break;
    case Layout::site: body = site_body(frame, main); break;
  }
  return head(frame, layout, title) + R"(<body class="min-h-full">)" + skip + banner + body + "</body></html>\n";
}

http::Response page_response(const http::Request& request, http::bhttp::status status, const Frame& frame, Layout layout,
                             std::string_view title, std::string_view main) {
  auto response = http::make_response(request, status, render_page(frame, layout, title, main), "text/html; charset=utf-8");
  if (frame.visitor && frame.visitor->session) response.set(http::bhttp::field::cache_control, "private, no-store");
  if (!cookie_value(request, kFlashCookie).empty()) clear_flash(response);
  return response;
}

std::string page_locale(const http::Request& request, const tenancy::Tenant* tenant, const Visitor* visitor) {
  if (visitor && visitor->session && i18n::supported(visitor->session->user.locale)) return visitor->session->user.locale;
  if (auto chosen = cookie_value(request, kLocaleCookie); i18n::supported(chosen)) return chosen;
  if (auto browser = i18n::from_accept_language(request[http::bhttp::field::accept_language]); !browser.empty()) {
    return browser;
  }
  return tenant && i18n::supported(tenant->locale) ? tenant->locale : "en";
}

Frame plain_frame(const http::Request& request, const tenancy::Tenant* tenant, const Visitor* visitor) {
  Frame frame;
  frame.tenant = tenant;
  frame.visitor = visitor;
  frame.tr = i18n::Translator(page_locale(request, tenant, visitor));
  std::string_view target = request.target();
  frame.path = std::string(target.substr(0, target.find('?')));
  frame.flash = take_flash(request, frame.tr);
  return frame;
}

void set_flash(http::Response& response, Flash flash, bool secure_cookie) {
  auto index = static_cast<std::size_t>(flash);
  if (index == 0 || index >= kFlashes.size()) return;
  response.insert(http::bhttp::field::set_cookie,
                  session_forms::make_cookie(kFlashCookie, kFlashes[index].first, "; Max-Age=60", secure_cookie));
}

std::string take_flash(const http::Request& request, const i18n::Translator& tr) {
  std::string key = cookie_value(request, kFlashCookie);
  if (key.empty()) return {};
  for (const auto& [name, message] : kFlashes) {
    if (!name.empty() && name == key) return std::string(tr(message));
  }
  return {};
}

void clear_flash(http::Response& response) {
  response.insert(http::bhttp::field::set_cookie, fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax", kFlashCookie));
}

http::Response card_response(const http::Request& request, const tenancy::Tenant* tenant, std::string_view title,
                             std::string_view main, http::bhttp::status status) {
  Frame frame = plain_frame(request, tenant);
  frame.flash.clear();  // shown (and cleared) by the next page_response
  return http::make_response(request, status, render_page(frame, Layout::auth, title, main), "text/html; charset=utf-8");
}

http::bhttp::status status_for(const Error& error) {
  using status = http::bhttp::status;
  switch (error.code()) {
    case Error::Code::not_found: return status::not_found;
    case Error::Code::denied: return status::forbidden;
    case Error::Code::conflict: return status::conflict;
    case Error::Code::invalid_argument: return status::unprocessable_entity;
    case Error::Code::unavailable:
    case Error::Code::timeout: return status::service_unavailable;
    default: return status::internal_server_error;
  }
}

http::bhttp::status status_for(calyx_status s) {
  using status = http::bhttp::status;
  switch (s) {
    case CALYX_INVALID_ARGUMENT: return status::bad_request;
    case CALYX_DENIED: return status::forbidden;
    case CALYX_NOT_FOUND: return status::not_found;
    case CALYX_CONFLICT: return status::conflict;
    case CALYX_UNAVAILABLE: return status::service_unavailable;
    default: return status::internal_server_error;
  }
}

http::Response error_page(const http::Request& request, http::bhttp::status status, std::string_view title,
                          std::string_view message, const tenancy::Tenant* tenant) {
  Frame frame = plain_frame(request, tenant);
  std::string body = fmt::format(
      R"(<p class="text-sm font-semibold text-primary" data-status>{}</p><h1>{}</h1><p class="mb-6">{}</p><p><a href="/">{}</a></p>)",
      static_cast<int>(status), escape_html(frame.tr(title)), escape_html(frame.tr(message)), escape_html(frame.tr("Go to the home page")));
  return page_response(request, status, frame, Layout::auth, frame.tr(title), body);
}

http::Response redirect(const http::Request& request, std::string_view location) {
  auto response = http::make_response(request, http::bhttp::status::see_other, "", "text/plain; charset=utf-8");
  response.set(http::bhttp::field::location, location);
  return response;
}

}  // namespace calyx::web
