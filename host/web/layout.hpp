// The layouts every HTML page is drawn in, themed for its tenant: the app layout (sidebar of the tenant's
// modules and admin pages, user menu, flash message, impersonation banner), the auth layout (a card over the
// tenant's sign-in background), the public layout (a module's public pages: header with logo, footer), and
// the error pages. Theme colours and fonts arrive through /theme.css; assets come from /assets/. No inline
// script or style anywhere, so the Content-Security-Policy can forbid both.
// Thread-safety: pure functions of their arguments.
#pragma once

#include "http/router.hpp"

#include <calyx/i18n/i18n.hpp>
#include <calyx/plugin_api.h>
#include <calyx/tenancy/tenant.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace calyx::web {

struct Visitor;  // web/sessions.hpp

struct NavItem {
  std::string label, path, icon;  // icon: a Heroicons name ("home", "hero-home"); empty: a dot
};

// Everything around a page's content.
struct Frame {
  const tenancy::Tenant* tenant = nullptr;  // null: the platform's own pages (default theme)
  const Visitor* visitor = nullptr;         // null or without session: nobody is signed in
  i18n::Translator tr;
  std::string path;                         // the request's path: its sidebar entry is marked current
  std::vector<NavItem> modules;             // the tenant's module entries the visitor may use
  std::vector<NavItem> admin;               // tenant admin entries (owners and admins) and platform admin
  std::string flash;                        // a message from the previous step (already translated)
};

enum class Layout {
  app,     // signed-in pages: sidebar + content
  auth,    // sign-in and account forms: a centred card
  site,    // a workspace's public pages: header, content, footer
};

// A whole HTML page.
std::string render_page(const Frame& frame, Layout layout, std::string_view title, std::string_view main);

// A whole HTML response (text/html, no-store when someone is signed in).
http::Response page_response(const http::Request& request, http::bhttp::status status, const Frame& frame, Layout layout,
                             std::string_view title, std::string_view main);

// The language a page is shown in: the signed-in user's choice, else the `calyx_locale` cookie, else the
// browser's Accept-Language when supported, else the tenant's default.
std::string page_locale(const http::Request& request, const tenancy::Tenant* tenant, const Visitor* visitor);

// A frame with no navigation, in the request's language: for auth pages, error pages and the like.
Frame plain_frame(const http::Request& request, const tenancy::Tenant* tenant, const Visitor* visitor = nullptr);

// Flash messages survive one redirect in the `calyx_flash` cookie, which holds a key of a fixed list (never
// text from the request), so nobody can put words on another person's page.
enum class Flash { none, theme_saved, module_enabled, module_disabled, settings_saved, domain_added, domain_removed,
                   member_updated, member_removed, invitation_sent, tenant_created, tenant_updated, language_changed,
                   invitation_revoked };
// Sets the flash for the next page on a redirect response.
void set_flash(http::Response& response, Flash flash, bool secure_cookie);
// The flash the request carries (translated); the response that shows it clears the cookie.
std::string take_flash(const http::Request& request, const i18n::Translator& tr);
void clear_flash(http::Response& response);

// The SVG of a named icon (decorative: aria-hidden), or a small dot.
std::string icon_svg(std::string_view name, std::string_view classes = "h-5 w-5");

// A page of its own in the auth layout (a centred card), in the request's language, as an HTML response: sign-in
// and account forms, notices.
http::Response card_response(const http::Request& request, const tenancy::Tenant* tenant, std::string_view title,
                             std::string_view main, http::bhttp::status status = http::bhttp::status::ok);

// An error page (403, 404, 503, …) in the tenant's theme; `title` and `message` are English and translated.
http::Response error_page(const http::Request& request, http::bhttp::status status, std::string_view title,
                          std::string_view message, const tenancy::Tenant* tenant = nullptr);

// The status that answers a failed operation: not found 404, denied 403, conflict 409, bad input 422,
// unavailable 503, anything else 500.
http::bhttp::status status_for(const Error& error);
// The status that answers a module's failed call: the same, except that bad input is 400 (no form to redisplay).
http::bhttp::status status_for(calyx_status status);

// A redirect (303 See Other) to a local path.
http::Response redirect(const http::Request& request, std::string_view location);

}  // namespace calyx::web
