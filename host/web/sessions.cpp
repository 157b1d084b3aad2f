// Sessions on tenant hosts: cookies, visitors, CSRF, the sign-in steps (password, code, PIN), the dispatch of
// every session page.
#include "web/sessions.hpp"

#include "web/admin_ui.hpp"
#include "web/session_forms.hpp"
#include "web/tenant_front.hpp"

#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>
#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <cctype>

namespace calyx::web {

namespace session_forms {

std::string make_cookie(std::string_view name, std::string_view value, std::string_view extra, bool secure) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Lax{}{}", name, value, secure ? "; Secure" : "", extra);
}

std::string safe_next(std::string_view next) {
  if (next.empty() || next.front() != '/' || next.starts_with("//") || next.find('\\') != std::string_view::npos) return "/";
  return std::string(next);
}

bool state_changing(const http::Request& request) {
  auto verb = request.method();
  return verb != http::bhttp::verb::get && verb != http::bhttp::verb::head && verb != http::bhttp::verb::options;
}

bool double_submit_ok(const http::Request& request) {
  std::string sent = form_field(request.body(), "_csrf").value_or(""), expected = cookie_value(request, kSignInCookie);
  return !sent.empty() && !expected.empty() && accounts::same_secret(sent, expected);
}

std::string query_field(const http::Request& request, std::string_view name) {
  std::string_view target = request.target();
  auto question = target.find('?');
  return question == std::string_view::npos ? std::string() : form_field(target.substr(question + 1), name).value_or("");
}

}  // namespace session_forms

using namespace session_forms;
std::string impersonation_banner(const Visitor& visitor) {
  if (!visitor.session || !visitor.session->impersonator_id) return {};
  return fmt::format(R"(<div role="alert" class="impersonation flex flex-wrap items-center justify-center gap-3 bg-amber-200 px-4 py-2 text-sm text-amber-950">You are impersonating {}. <form method="post" action="/admin/impersonate/stop"><input type="hidden" name="_csrf" value="{}"><button type="submit" class="btn btn-secondary">Stop impersonating</button></form></div>)",
                     escape_html(visitor.session->user.email), visitor.session->csrf_token);
}

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

std::string SessionPages::sender(const tenancy::Tenant& tenant) const {
  return tenant.support_email.empty() ? "no-reply@" + services_.base_domain : tenant.support_email;
}

std::string SessionPages::cookie(std::string_view name, std::string_view value, std::string_view extra) const {
  return make_cookie(name, value, extra, services_.secure_cookies);
}

Status SessionPages::send(const http::Request& request, const tenancy::Tenant& tenant, mail::Message message) {
  const auto& theme = tenant.effective_theme;
  std::string brand(theme.get("company_name").empty() ? std::string_view(tenant.name) : theme.get("company_name"));
  message.html = themes::email_html(theme, brand, message.subject, message.body, tenant_url(request, tenant));
  return services_.outbox.enqueue(message);
}

Status SessionPages::send(const http::Request& request, const tenancy::Tenant& tenant, std::string to, std::string subject,
                          std::string body) {
  mail::Message message;
  message.tenant_id = tenant.id;
  message.to = std::move(to);
  message.from = sender(tenant);
  message.subject = std::move(subject);
  message.body = std::move(body);
  return send(request, tenant, std::move(message));
}

http::Response SessionPages::app_page(const http::Request& request, const tenancy::Tenant& tenant, const Visitor& visitor,
                                      std::string_view title, std::string_view main, status code) {
  Frame frame = frame_builder_ ? frame_builder_(request, tenant, visitor) : plain_frame(request, &tenant, &visitor);
  return page_response(request, code, frame, Layout::app, title, main);
}

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

bool SessionPages::handles(std::string_view path) {
  return path == "/sign-in" || path == "/sign-in/code" || path == "/sign-in/pin" || path == "/sign-out" || path == "/password/forgot" ||
         path == "/password/reset" || path == "/account/security" || path == "/register" || path == "/confirm" || path == "/account/email" ||
         path == "/invitation" || path == "/join" || path == "/org" ||
         path == "/admin/users" || path == "/admin/impersonate" || path == "/admin/impersonate/stop" ||
         path == "/dev/mailbox";
}

std::string SessionPages::tenant_url(const http::Request& request, const tenancy::Tenant& tenant) const {
  std::string host = tenant.domains.empty() ? tenant.slug + "." + services_.base_domain : tenant.domains.front();
  std::string_view asked = request[http::bhttp::field::host];
  if (auto colon = asked.rfind(':'); colon != std::string_view::npos && asked.find(']') == std::string_view::npos) {
    // The port the visitor used — digits only: "Host: acme.example:@evil.example" must not move the link.
    std::string_view port = asked.substr(colon + 1);
    if (!port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos) {
      host += ":" + std::string(port);
    }
  }
  return "http://" + host;
}

http::Response SessionPages::form_page(const http::Request& request, const tenancy::Tenant& tenant, std::string_view title,
                                       std::string_view intro, std::string_view action, std::string_view fields,
                                       std::string_view button, status code) {
  // The title and button are translated; callers' intros and fields are English for now.
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  std::string csrf = accounts::random_token();
  std::string body = fmt::format(R"(<h1>{0}</h1>{1}
<form method="post" action="{2}">
<input type="hidden" name="_csrf" value="{3}">{4}
<p><button type="submit">{5}</button></p>
</form>)",
                                 escape_html(tr(title)), intro, escape_html(action), csrf, fields, escape_html(tr(button)));
  auto response = card_response(request, &tenant, tr(title), body, code);
  response.set(http::bhttp::field::set_cookie, cookie(kSignInCookie, csrf));
  response.set(http::bhttp::field::cache_control, "no-store");
  return response;
}

http::Response SessionPages::mailbox(const http::Request& request, const tenancy::Tenant& tenant) {
  if (!services_.dev_mode) return error_page(request, status::not_found, "Page not found", "There is no page at this address.", &tenant);
  auto messages = services_.outbox.latest(50);
  if (!messages) return error_page(request, status::service_unavailable, "Mailbox", messages.error().message(), &tenant);
  std::string body = "<h1>Development mailbox</h1><p>Mail this workspace sent (development mode only).</p>";
  for (const auto& m : *messages) {
    if (m.tenant_id != tenant.id) continue;
    // Links become clickable; everything else stays escaped text.
    std::string text = escape_html(m.body), linked;
    for (std::size_t at = 0; at < text.size();) {
      auto start = text.find("http", at);
      if (start == std::string::npos) {
        linked += text.substr(at);
        break;
      }
      auto end = text.find_first_of(" \n", start);
      std::string url = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      linked += text.substr(at, start - at) + fmt::format(R"(<a href="{0}">{0}</a>)", url);
      at = end == std::string::npos ? text.size() : end;
    }
    body += fmt::format(R"(<article><h2>{}</h2><p>To {} · {}</p><pre>{}</pre></article>)", escape_html(m.subject),
                        escape_html(m.to), escape_html(m.created_at), linked);
  }
  return card_response(request, &tenant, "Mailbox", body);
}

std::optional<http::Response> SessionPages::check_csrf(const http::Request& request, const Visitor& visitor,
                                                        const tenancy::Tenant& tenant) {
  if (!state_changing(request) || !visitor.session) return std::nullopt;
  std::string sent(request["X-CSRF-Token"]);
  if (sent.empty()) sent = form_field(request.body(), "_csrf").value_or("");
  if (sent.empty()) {
    // File uploads come as multipart/form-data, with the token in a part of its own.
    if (auto parts = multipart_parts(request)) {
      for (const auto& part : *parts) {
        if (part.name == "_csrf") sent = part.content;
      }
    }
  }
  if (!sent.empty() && accounts::same_secret(sent, visitor.session->csrf_token)) return std::nullopt;
  return error_page(request, status::forbidden, "Request refused",
                    "This form has expired or did not come from this site. Reload the page and try again.", &tenant);
}

http::Response SessionPages::handle(const http::Request& request, const http::RequestContext& context,
                                    const tenancy::Tenant& tenant, const Visitor& visitor) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/sign-out") {
    if (request.method() != http::bhttp::verb::post) {
      return error_page(request, status::method_not_allowed, "Not allowed", "Sign out with the button.", &tenant);
    }
    if (visitor.session) {
      (void)services_.accounts.sign_out(visitor.token);
      services_.audit.record({0, "", "user", visitor.session->user.id, visitor.session->impersonator_id, tenant.id,
                              "session.sign_out", visitor.session->user.email, "{}", context.remote_address});
    }
    auto response = redirect(request, "/sign-in");
    response.set(http::bhttp::field::set_cookie, cookie(kSessionCookie, "", "; Max-Age=0"));
    return response;
  }
  if (path == "/password/forgot") return forgot_password(request, context, tenant);
  if (path == "/password/reset") return reset_password(request, context, tenant);
  if (path == "/dev/mailbox") return mailbox(request, tenant);
  if (path == "/register") return register_page(request, context, tenant);
  if (path == "/admin/users") return admin_users(request, context, tenant, visitor);
  if (path == "/admin/impersonate") return impersonation(request, context, tenant, visitor, false);
  if (path == "/admin/impersonate/stop") return impersonation(request, context, tenant, visitor, true);
  if (path == "/confirm") return confirm(request, context, tenant);
  if (path == "/account/email") return email_change_link(request, context, tenant);
  if (path == "/invitation") return invitation(request, context, tenant, visitor);
  if (path == "/join") return join(request, context, tenant, visitor);
  if (path == "/org") return org_page(request, context, tenant, visitor);
  if (path == "/sign-in/code") return second_factor(request, context, tenant);
  if (path == "/sign-in/pin") return pin_sign_in(request, context, tenant);
  if (path == "/account/security") return security(request, context, tenant, visitor);
  if (request.method() == http::bhttp::verb::post) return sign_in(request, context, tenant);
  if (request.method() != http::bhttp::verb::get && request.method() != http::bhttp::verb::head) {
    return error_page(request, status::method_not_allowed, "Not allowed", "Use the sign-in form.", &tenant);
  }
  std::string next = query_field(request, "next");
  return sign_in_page(request, tenant, "", "", safe_next(next), status::ok);
}

http::Response SessionPages::sign_in_page(const http::Request& request, const tenancy::Tenant& tenant,
                                          std::string_view error, std::string_view email, std::string_view next,
                                          status code) {
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  std::string csrf = accounts::random_token();
  std::string body = fmt::format(
      R"(<h1>{title}</h1>{error}
<form method="post" action="/sign-in">
<input type="hidden" name="_csrf" value="{csrf}"><input type="hidden" name="next" value="{next}">
<div class="field"><label for="email">{email_label}</label><input id="email" name="email" type="email" autocomplete="username" required value="{email}"></div>
<div class="field"><label for="password">{password_label}</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<p><button type="submit">{button}</button></p>
</form>
<p class="mt-4 text-sm"><a href="/password/forgot">{forgot}</a> · <a href="/sign-in/pin">{pin}</a></p>)",
      fmt::arg("title", escape_html(fmt::format("{} {}", tr("Sign in to"), tenant.name))),
      fmt::arg("error", error.empty() ? "" : fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(error))),
      fmt::arg("csrf", csrf), fmt::arg("next", escape_html(next)), fmt::arg("email_label", escape_html(tr("Email"))),
      fmt::arg("email", escape_html(email)), fmt::arg("password_label", escape_html(tr("Password"))),
      fmt::arg("button", escape_html(tr("Sign in"))), fmt::arg("forgot", escape_html(tr("Forgot your password?"))),
      fmt::arg("pin", escape_html(tr("Email me a sign-in code"))));
  auto response = card_response(request, &tenant, tr("Sign in"), body, code);
  response.set(http::bhttp::field::set_cookie, cookie(kSignInCookie, csrf));
  response.set(http::bhttp::field::cache_control, "no-store");
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
  if (!session->second_factor.empty()) return code_page(request, tenant, session->second_factor, next, "", status::ok);
  return signed_in(request, context, tenant, *session, next);
}

http::Response SessionPages::signed_in(const http::Request& request, const http::RequestContext& context,
                                       const tenancy::Tenant& tenant, const accounts::Session& session,
                                       const std::string& next) {
  services_.audit.record({0, "", "user", session.user.id, std::nullopt, tenant.id, "session.sign_in", session.user.email,
                          "{}", context.remote_address});
  auto response = redirect(request, next);
  response.insert(http::bhttp::field::set_cookie, cookie(kSessionCookie, session.token));
  response.insert(http::bhttp::field::set_cookie, cookie(kSignInCookie, "", "; Max-Age=0"));
  return response;
}

http::Response SessionPages::code_page(const http::Request& request, const tenancy::Tenant& tenant, std::string_view pending,
                                       std::string_view next, std::string_view error, status code) {
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  std::string fields = fmt::format(
      R"(<input type="hidden" name="pending" value="{}"><input type="hidden" name="next" value="{}">
<div class="field"><label for="code">{}</label><input id="code" name="code" type="text" autocomplete="one-time-code" required></div>)",
      escape_html(pending), escape_html(next), escape_html(tr("Code from your authenticator app, or a backup code")));
  std::string intro = error.empty() ? "<p class=\"mb-4\">" + escape_html(tr("Your account has two-factor sign-in.")) + "</p>"
                                    : fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(error));
  return form_page(request, tenant, "Enter your code", intro, "/sign-in/code", fields, "Sign in", code);
}

http::Response SessionPages::pin_sign_in(const http::Request& request, const http::RequestContext& context,
                                         const tenancy::Tenant& tenant) {
  std::string_view body = request.body();
  std::string email = form_field(body, "email").value_or("");
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  auto paragraph = [&](std::string_view english) { return "<p class=\"mb-4\">" + escape_html(tr(english)) + "</p>"; };
  auto alert = [](std::string_view message) {
    return fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(message));
  };
  std::string email_field = fmt::format(
      R"(<div class="field"><label for="email">{}</label><input id="email" name="email" type="email" autocomplete="username" required value="{}"></div>)",
      escape_html(tr("Email")), escape_html(email));
  auto ask_page = [&](std::string_view intro, status code) {
    return form_page(request, tenant, "Sign in with a code", intro, "/sign-in/pin",
                     email_field + R"(<input type="hidden" name="action" value="send">)", "Email me a code", code);
  };
  auto code_page = [&](std::string_view intro, status code) {
    return form_page(request, tenant, "Enter the emailed code", intro, "/sign-in/pin",
                     email_field + fmt::format(R"(<input type="hidden" name="action" value="verify">
<div class="field"><label for="pin">{}</label><input id="pin" name="pin" type="text" inputmode="numeric" autocomplete="one-time-code" required></div>)",
                                               escape_html(tr("6-digit code"))),
                     "Sign in", code);
  };
  if (request.method() != http::bhttp::verb::post) return ask_page(paragraph("We will email you a 6-digit code."), status::ok);
  if (!double_submit_ok(request)) return ask_page(alert(tr("The form expired. Please try again.")), status::forbidden);
  if (form_field(body, "action").value_or("") == "send") {
    auto pin = services_.accounts.start_pin_sign_in(email, tenant.id);
    if (pin && *pin) {
      (void)send(request, tenant, accounts::normalize_email(email).value(),
                    fmt::format("Your {} sign-in code", tenant.name),
                    fmt::format("Your code to sign in to {} is {}. It works once, for 10 minutes.\n"
                                                  "If you did not ask for it, ignore this email.\n",
                                                  tenant.name, **pin));
    }
    // The same answer whether the account exists or not.
    return code_page(paragraph("If an account exists for that address, we emailed it a code."), status::ok);
  }
  auto session = services_.accounts.finish_pin_sign_in(email, form_field(body, "pin").value_or(""), tenant.id,
                                                       context.remote_address,
                                                       std::string(request[http::bhttp::field::user_agent]));
  if (!session) {
    services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "session.sign_in_failed", email,
                            R"({"reason":"pin"})", context.remote_address});
    auto code = session.error().code() == Error::Code::unavailable ? status::too_many_requests : status::unauthorized;
    return code_page(alert(session.error().message()), code);
  }
  if (!session->second_factor.empty()) return this->code_page(request, tenant, session->second_factor, "/", "", status::ok);
  return signed_in(request, context, tenant, *session, "/");
}

http::Response SessionPages::second_factor(const http::Request& request, const http::RequestContext& context,
                                           const tenancy::Tenant& tenant) {
  if (request.method() != http::bhttp::verb::post) {
    return redirect(request, "/sign-in");
  }
  std::string_view body = request.body();
  std::string pending = form_field(body, "pending").value_or(""), next = safe_next(form_field(body, "next").value_or("/"));
  if (!double_submit_ok(request)) return code_page(request, tenant, pending, next, "The form expired.", status::forbidden);
  auto session = services_.accounts.complete_sign_in(pending, form_field(body, "code").value_or(""), context.remote_address,
                                                     std::string(request[http::bhttp::field::user_agent]));
  if (!session) {
    services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "session.second_factor_failed", "", "{}",
                            context.remote_address});
    auto code = session.error().code() == Error::Code::unavailable ? status::too_many_requests : status::unauthorized;
    return code_page(request, tenant, pending, next, session.error().message(), code);
  }
  return signed_in(request, context, tenant, *session, next);
}

}  // namespace calyx::web
