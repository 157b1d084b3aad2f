// What the session pages share: the cookies they set, the check of anonymous forms (double submit), where a
// sign-in may lead. Private to host/web.
#pragma once

#include "http/router.hpp"

#include <calyx/templates/template.hpp>

#include <string>
#include <string_view>

namespace calyx::web::session_forms {

using http::bhttp::status;
using templates::escape_html;

inline constexpr std::string_view kSessionCookie = "calyx_session";
inline constexpr std::string_view kSignInCookie = "calyx_csrf";
inline constexpr std::string_view kAdminCookie = "calyx_admin_session";

std::string make_cookie(std::string_view name, std::string_view value, std::string_view extra, bool secure);
// Only local paths may follow a sign-in (no open redirect to another site).
std::string safe_next(std::string_view next);
bool state_changing(const http::Request& request);
// The double-submit check of anonymous forms: the hidden field matches the cookie set with the form.
bool double_submit_ok(const http::Request& request);
// The value of a query parameter of the request's target, decoded, or empty.
std::string query_field(const http::Request& request, std::string_view name);

}  // namespace calyx::web::session_forms
