// Sessions on tenant hosts: cookies, the sign-in and sign-out pages, CSRF.
#include "web/sessions.hpp"

#include "web/tenant_front.hpp"

#include <calyx/accounts/passwords.hpp>
#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <cctype>

namespace calyx::web {
namespace {

using http::bhttp::status;
using templates::escape_html;

constexpr std::string_view kSessionCookie = "calyx_session";
constexpr std::string_view kSignInCookie = "calyx_csrf";

std::string cookie(std::string_view name, std::string_view value, std::string_view extra = "") {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Lax{}", name, value, extra);
}

// Only local paths may follow a sign-in (no open redirect to another site).
std::string safe_next(std::string_view next) {
  if (next.empty() || next.front() != '/' || next.starts_with("//") || next.find('\\') != std::string_view::npos) return "/";
  return std::string(next);
}

bool state_changing(const http::Request& request) {
  auto verb = request.method();
  return verb != http::bhttp::verb::get && verb != http::bhttp::verb::head && verb != http::bhttp::verb::options;
}

}  // namespace

std::string cookie_value(const http::Request& request, std::string_view name) {
  for (auto it = request.find(http::bhttp::field::cookie); it != request.end() && it->name() == http::bhttp::field::cookie; ++it) {
    std::string_view header = it->value();
    while (!header.empty()) {
      auto end = header.find(';');
      std::string_view pair = header.substr(0, end);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
      if (end == std::string_view::npos) break;
      header.remove_prefix(end + 1);
    }
  }
  return {};
}

std::optional<std::string> form_field(std::string_view body, std::string_view name) {
  // application/x-www-form-urlencoded: pairs split by '&', '+' for spaces, %XX escapes; malformed escapes are
  // kept as they are.
  auto decode = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '+') {
        out += ' ';
      } else if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += c;
      }
    }
    return out;
  };
  while (!body.empty()) {
    auto end = body.find('&');
    std::string_view pair = body.substr(0, end);
    auto eq = pair.find('=');
    if (decode(pair.substr(0, eq)) == name) return eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1));
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return std::nullopt;
}

SessionPages::SessionPages(AccountServices services) : services_(services) {}

Visitor SessionPages::visitor(const http::Request& request, const tenancy::Tenant& tenant) {
  Visitor visitor;
  std::string token = cookie_value(request, kSessionCookie);
  if (token.empty()) return visitor;
  auto session = services_.accounts.session(token, tenant.id);
  if (!session) return visitor;  // forged, expired, revoked, another tenant's: nobody
  visitor.session = std::move(session.value());
  visitor.token = std::move(token);
  return visitor;
}

bool SessionPages::handles(std::string_view path) { return path == "/sign-in" || path == "/sign-out"; }

std::optional<http::Response> SessionPages::check_csrf(const http::Request& request, const Visitor& visitor,
                                                        const tenancy::Tenant& tenant) {
  if (!state_changing(request) || !visitor.session) return std::nullopt;
  std::string sent(request["X-CSRF-Token"]);
  if (sent.empty()) sent = form_field(request.body(), "_csrf").value_or("");
  if (!sent.empty() && accounts::same_secret(sent, visitor.session->csrf_token)) return std::nullopt;
  return error_page(request, status::forbidden, "Request refused",
                    "This form has expired or did not come from this site. Reload the page and try again.", tenant.name);
}

http::Response SessionPages::handle(const http::Request& request, const http::RequestContext& context,
                                    const tenancy::Tenant& tenant, const Visitor& visitor) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/sign-out") {
    if (request.method() != http::bhttp::verb::post) {
      return error_page(request, status::method_not_allowed, "Not allowed", "Sign out with the button.", tenant.name);
    }
    if (visitor.session) {
      (void)services_.accounts.sign_out(visitor.token);
      services_.audit.record({0, "", "user", visitor.session->user.id, visitor.session->impersonator_id, tenant.id,
                              "session.sign_out", visitor.session->user.email, "{}", context.remote_address});
    }
    auto response = http::make_response(request, status::see_other, "");
    response.set(http::bhttp::field::location, "/sign-in");
    response.set(http::bhttp::field::set_cookie, cookie(kSessionCookie, "", "; Max-Age=0"));
    return response;
  }
  if (request.method() == http::bhttp::verb::post) return sign_in(request, context, tenant);
  if (request.method() != http::bhttp::verb::get && request.method() != http::bhttp::verb::head) {
    return error_page(request, status::method_not_allowed, "Not allowed", "Use the sign-in form.", tenant.name);
  }
  std::string next;
  if (auto q = target.find('?'); q != std::string_view::npos) next = form_field(target.substr(q + 1), "next").value_or("");
  return sign_in_page(request, tenant, "", "", safe_next(next), status::ok);
}

http::Response SessionPages::sign_in_page(const http::Request& request, const tenancy::Tenant& tenant,
                                          std::string_view error, std::string_view email, std::string_view next,
                                          status code) {
  std::string csrf = accounts::random_token();
  std::string body = fmt::format(
      R"(<h1>Sign in to {0}</h1>{1}
<form method="post" action="/sign-in">
<input type="hidden" name="_csrf" value="{2}"><input type="hidden" name="next" value="{3}">
<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" required value="{4}"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>)",
      escape_html(tenant.name), error.empty() ? "" : fmt::format(R"(<p role="alert">{}</p>)", escape_html(error)), csrf,
      escape_html(next), escape_html(email));
  auto response = error_page(request, code, "Sign in", "", tenant.name);
  response.body() = page_html("Sign in", tenant.name, body);
  response.set(http::bhttp::field::set_cookie, cookie(kSignInCookie, csrf));
  response.set(http::bhttp::field::cache_control, "no-store");
  response.prepare_payload();
  return response;
}

http::Response SessionPages::sign_in(const http::Request& request, const http::RequestContext& context,
                                     const tenancy::Tenant& tenant) {
  std::string_view body = request.body();
  std::string email = form_field(body, "email").value_or(""), next = safe_next(form_field(body, "next").value_or("/"));
  // Double submit: the form's token must match the cookie set with the form (login CSRF).
  std::string sent = form_field(body, "_csrf").value_or(""), expected = cookie_value(request, kSignInCookie);
  if (sent.empty() || expected.empty() || !accounts::same_secret(sent, expected)) {
    return sign_in_page(request, tenant, "The form expired. Please sign in again.", email, next, status::forbidden);
  }
  accounts::SignIn attempt{email, form_field(body, "password").value_or(""), context.remote_address,
                           std::string(request[http::bhttp::field::user_agent]), tenant.id};
  auto session = services_.accounts.sign_in(attempt);
  if (!session) {
    services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "session.sign_in_failed", email,
                            fmt::format(R"({{"reason":"{}"}})", session.error().code() == Error::Code::unavailable
                                                                    ? "throttled" : "credentials"),
                            context.remote_address});
    auto code = session.error().code() == Error::Code::unavailable ? status::too_many_requests : status::unauthorized;
    return sign_in_page(request, tenant, session.error().message(), email, next, code);
  }
  services_.audit.record({0, "", "user", session->user.id, std::nullopt, tenant.id, "session.sign_in", session->user.email,
                          "{}", context.remote_address});
  auto response = http::make_response(request, status::see_other, "");
  response.set(http::bhttp::field::location, next);
  response.insert(http::bhttp::field::set_cookie, cookie(kSessionCookie, session->token));
  response.insert(http::bhttp::field::set_cookie, cookie(kSignInCookie, "", "; Max-Age=0"));
  return response;
}

}  // namespace calyx::web
