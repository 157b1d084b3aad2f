// The account pages: forgotten and new password, sign-up and email confirmation, /account/security (sessions,
// password, email, two-factor sign-in).
#include "web/sessions.hpp"

#include "web/session_forms.hpp"
#include "web/tenant_front.hpp"

#include <calyx/accounts/passwords.hpp>
#include <calyx/accounts/totp.hpp>
#include <calyx/templates/template.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace calyx::web {

using namespace session_forms;

namespace {

// The alert of an anonymous form whose double-submit token did not match.
std::string expired(const i18n::Translator& tr) {
  return fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(tr("The form expired. Please try again.")));
}

std::string alert(std::string_view message) {
  return fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(message));
}

// A card that says one thing: `title` as its heading, then `paragraph` (HTML).
http::Response notice(const http::Request& request, const tenancy::Tenant& tenant, std::string_view title,
                      std::string_view paragraph) {
  return card_response(request, &tenant, title, fmt::format("<h1>{}</h1><p>{}</p>", escape_html(title), paragraph));
}

}  // namespace

http::Response SessionPages::forgot_password(const http::Request& request, const http::RequestContext& context,
                                             const tenancy::Tenant& tenant) {
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  std::string fields = fmt::format(
      R"(<div class="field"><label for="email">{}</label><input id="email" name="email" type="email" autocomplete="username" required></div>)",
      escape_html(tr("Email")));
  if (request.method() != http::bhttp::verb::post) {
    return form_page(request, tenant, "Forgot your password?",
                     "<p class=\"mb-4\">" + escape_html(tr("We will email you a link to choose a new one.")) + "</p>",
                     "/password/forgot", fields, "Email me a link", status::ok);
  }
  if (!double_submit_ok(request)) {
    return form_page(request, tenant, "Forgot your password?", expired(tr), "/password/forgot", fields, "Email me a link",
                     status::forbidden);
  }
  std::string email = form_field(request.body(), "email").value_or("");
  auto token = services_.accounts.start_password_reset(email, tenant.id);
  if (token && *token) {
    std::string link = tenant_url(request, tenant) + "/password/reset?token=" + **token;
    auto queued = send(request, tenant, accounts::normalize_email(email).value(),
                    fmt::format("Reset your {} password", tenant.name),
                    fmt::format("Someone asked to reset the password of your {} account.\n\nChoose a new password here (the link "
                     "works once, for an hour):\n{}\n\nIf it was not you, ignore this email.\n",
                     tenant.name, link));
    if (!queued) return error_page(request, status::service_unavailable, "Try again", queued.error().message(), &tenant);
  }
  services_.audit.record({0, "", "user", std::nullopt, std::nullopt, tenant.id, "password.reset_requested", email, "{}",
                          context.remote_address});
  // The same answer whether the account exists or not.
  return notice(request, tenant, tr("Check your email"),
                escape_html(tr("If an account exists for that address, we sent it a link to choose a new password.")));
}

http::Response SessionPages::reset_password(const http::Request& request, const http::RequestContext& context,
                                            const tenancy::Tenant& tenant) {
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  std::string token = request.method() == http::bhttp::verb::post ? form_field(request.body(), "token").value_or("")
                                                                   : query_field(request, "token");
  std::string fields = fmt::format(
      R"(<input type="hidden" name="token" value="{}">
<div class="field"><label for="password">{}</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>)",
      escape_html(token), escape_html(tr("New password")));
  if (request.method() != http::bhttp::verb::post) {
    return form_page(request, tenant, "Choose a new password", "", "/password/reset", fields, "Save the password", status::ok);
  }
  if (!double_submit_ok(request)) {
    return form_page(request, tenant, "Choose a new password", expired(tr), "/password/reset", fields, "Save the password",
                     status::forbidden);
  }
  auto user = services_.accounts.finish_password_reset(token, form_field(request.body(), "password").value_or(""));
  if (!user) {
    auto code = user.error().code() == Error::Code::invalid_argument ? status::unprocessable_entity : status::forbidden;
    return form_page(request, tenant, "Choose a new password", alert(user.error().message()), "/password/reset", fields,
                     "Save the password", code);
  }
  services_.audit.record({0, "", "user", user->id, std::nullopt, tenant.id, "password.reset", user->email, "{}",
                          context.remote_address});
  return redirect(request, "/sign-in");
}

http::Response SessionPages::register_page(const http::Request& request, const http::RequestContext& context,
                                           const tenancy::Tenant& tenant) {
  if (!tenant.allow_signup) {
    return error_page(request, status::not_found, "Page not found", "This workspace does not take sign-ups.", &tenant);
  }
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  std::string fields = fmt::format(
      R"(<div class="field"><label for="name">{}</label><input id="name" name="name" type="text" autocomplete="name"></div>
<div class="field"><label for="email">{}</label><input id="email" name="email" type="email" autocomplete="email" required></div>
<div class="field"><label for="password">{}</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>)",
      escape_html(tr("Name")), escape_html(tr("Email")), escape_html(tr("Password (at least 10 characters)")));
  auto form = [&](std::string_view intro, status code) {
    return form_page(request, tenant, fmt::format("{} {}", tr("Join"), tenant.name), intro, "/register", fields,
                     "Create my account", code);
  };
  if (request.method() != http::bhttp::verb::post) return form("", status::ok);
  if (!double_submit_ok(request)) return form(expired(tr), status::forbidden);
  std::string_view body = request.body();
  std::string email = form_field(body, "email").value_or("");
  auto registered = services_.accounts.register_user(
      {email, form_field(body, "name").value_or(""), form_field(body, "password").value_or(""), false, false}, tenant.id);
  if (!registered && registered.error().code() == Error::Code::conflict) {
    // Taken: tell the owner of the address, not the visitor.
    (void)send(request, tenant, accounts::normalize_email(email).value(),
                    fmt::format("Your {} account", tenant.name),
                    fmt::format("Someone tried to register at {} with this address, which already has an "
                                                "account. Sign in here: {}/sign-in\n",
                                                tenant.name, tenant_url(request, tenant)));
  } else if (!registered) {
    return form(alert(registered.error().message()), status::unprocessable_entity);
  } else {
    const auto& user = registered->user;
    (void)services_.memberships.set_role(tenant.id, user.id, orgs::TenantRole::member);
    services_.audit.record({0, "", "user", user.id, std::nullopt, tenant.id, "user.registered", user.email, "{}",
                            context.remote_address});
    if (services_.tenancy) {
      (void)services_.tenancy->user_joined(tenant, user.id, user.email);
    }
    (void)send(request, tenant, user.email,
                    fmt::format("Confirm your {} account", tenant.name),
                    fmt::format("Welcome to {}! Confirm your email address to sign in:\n{}/confirm?token={}\n",
                                                tenant.name, tenant_url(request, tenant), registered->confirmation_token));
  }
  return notice(request, tenant, tr("Check your email"),
                escape_html(tr("We sent a link to that address. Follow it to confirm your account, then sign in.")));
}

http::Response SessionPages::confirm(const http::Request& request, const http::RequestContext& context,
                                     const tenancy::Tenant& tenant) {
  auto user = services_.accounts.confirm_email(query_field(request, "token"));
  if (!user) return error_page(request, status::forbidden, "Link not valid", user.error().message(), &tenant);
  services_.audit.record({0, "", "user", user->id, std::nullopt, tenant.id, "user.email_confirmed", user->email, "{}",
                          context.remote_address});
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  return notice(request, tenant, tr("Email confirmed"),
                fmt::format(R"({} <a href="/sign-in">{}</a>.)", escape_html(tr("Your account is ready.")),
                            escape_html(tr("Sign in"))));
}

http::Response SessionPages::security(const http::Request& request, const http::RequestContext& context,
                                      const tenancy::Tenant& tenant, const Visitor& visitor) {
  if (!visitor.session) {
    return redirect(request, "/sign-in?next=/account/security");
  }
  const auto& user = visitor.session->user;
  i18n::Translator tr(page_locale(request, &tenant, &visitor));
  auto text = [&](std::string_view english) { return escape_html(tr(english)); };
  auto csrf = fmt::format(R"(<input type="hidden" name="_csrf" value="{}">)", visitor.session->csrf_token);
  auto render = [&](std::string body, status code = status::ok) {
    return app_page(request, tenant, visitor, tr("Security"), "<h1>" + text("Security") + "</h1>" + body, code);
  };
  auto code_form = [&](std::string_view action, std::string_view button) {
    return fmt::format(R"(<form method="post" action="/account/security" class="card max-w-md mb-6">{}<input type="hidden" name="action" value="{}">
<div class="field"><label for="code">{}</label><input id="code" name="code" type="text" autocomplete="one-time-code" required></div>
<p><button type="submit">{}</button></p></form>)",
                       csrf, action, text("Code from the app"), text(button));
  };
  auto audit = [&](std::string_view action) {
    services_.audit.record({0, "", "user", user.id, visitor.session->impersonator_id, tenant.id, std::string(action),
                            user.email, "{}", context.remote_address});
  };
  std::string action = request.method() == http::bhttp::verb::post ? form_field(request.body(), "action").value_or("") : "";
  std::string code = form_field(request.body(), "code").value_or("");
  if (action == "begin") {
    auto secret = services_.accounts.begin_totp(user.id);
    if (!secret) return render(alert(secret.error().message()), status::conflict);
    return render(fmt::format(R"(<p class="mb-4">{} <code>{}</code> ({} <code class="break-all">{}</code>). {}</p>{})",
                              text("Add this account to your authenticator app with the key"),
                              accounts::base32_encode(*secret), text("or this link:"),
                              escape_html(accounts::totp_uri(*secret, tenant.name, user.email)),
                              text("Then enter the code it shows."), code_form("enable", "Turn on two-factor sign-in")));
  }
  if (action == "enable") {
    auto codes = services_.accounts.enable_totp(user.id, code);
    if (!codes) {
      return render(alert(codes.error().message()) + code_form("enable", "Turn on two-factor sign-in"),
                    status::unprocessable_entity);
    }
    audit("account.two_factor_enabled");
    std::string list;
    for (const auto& backup : *codes) list += "<li><code>" + backup + "</code></li>";
    return render("<p class=\"mb-4\">" +
                  text("Two-factor sign-in is on. Keep these backup codes somewhere safe: each works once, and they are "
                       "not shown again.") +
                  "</p><ul class=\"list-disc pl-6\">" + list + "</ul>");
  }
  if (action == "disable") {
    if (auto ok = services_.accounts.disable_totp(user.id, code); !ok) {
      return render(alert(ok.error().message()) + code_form("disable", "Turn off two-factor sign-in"),
                    status::unprocessable_entity);
    }
    audit("account.two_factor_disabled");
    return render("<p>" + text("Two-factor sign-in is off.") + "</p>");
  }
  auto enabled = services_.accounts.totp_enabled(user.id);
  bool on = enabled && *enabled;
  if (action == "end_others") {
    (void)services_.accounts.end_sessions(user.id, visitor.token);
    audit("account.other_sessions_ended");
  }
  std::string notice;
  if (action == "password") {
    auto changed = services_.accounts.change_password(user.id, form_field(request.body(), "current").value_or(""),
                                                      form_field(request.body(), "password").value_or(""), visitor.token);
    if (!changed) {
      notice = alert(changed.error().message());
    } else {
      audit("account.password_changed");
      notice = R"(<p role="status" class="flash flash-info">)" +
               text("Your password was changed; your other sessions were signed out.") + "</p>";
    }
  }
  if (action == "email") {
    std::string new_email = form_field(request.body(), "email").value_or("");
    auto token = services_.accounts.start_email_change(user.id, form_field(request.body(), "current").value_or(""),
                                                       new_email, tenant.id);
    if (!token) {
      notice = alert(token.error().message());
    } else {
      auto to = accounts::normalize_email(new_email).value();
      (void)send(request, tenant, to,
                    fmt::format("Confirm your new {} email", tenant.name),
                    fmt::format("Follow this link to use this address for your {} account:\n{}/account/email?token={}\n",
                                                  tenant.name, tenant_url(request, tenant), *token));
      (void)send(request, tenant, user.email,
                    fmt::format("Your {} email is being changed", tenant.name),
                    fmt::format("Someone signed in as you asked to change your email to {}. If it was "
                                                  "not you, change your password now.\n",
                                                  to));
      audit("account.email_change_requested");
      notice = R"(<p role="status" class="flash flash-info">)" +
               text("We sent a link to the new address. Follow it to finish the change.") + "</p>";
    }
  }
  // The user's sessions, this one marked; the others can be ended.
  std::string sessions_list;
  if (auto sessions = services_.accounts.sessions_of(user.id)) {
    std::string mine = accounts::token_digest(visitor.token);
    for (const auto& s : *sessions) {
      sessions_list += fmt::format("<li>{} · {} · {} {} · {} {}{}</li>",
                                   s.ip.empty() ? text("unknown address") : escape_html(s.ip),
                                   s.user_agent.empty() ? text("unknown browser") : escape_html(s.user_agent),
                                   text("since"), escape_html(s.created_at), text("last used"), escape_html(s.last_seen_at),
                                   s.token_hash == mine ? " (" + text("this one") + ")" : "");
    }
  }
  std::string account_forms = fmt::format(
      R"(<section class="card mb-6"><h2>{sessions}</h2><ul class="mb-3 list-disc pl-6 text-sm">{list}</ul>
<form method="post" action="/account/security">{csrf}<input type="hidden" name="action" value="end_others"><button type="submit">{end_others}</button></form></section>
<section class="card mb-6 max-w-md"><h2>{password}</h2><form method="post" action="/account/security">{csrf}<input type="hidden" name="action" value="password">
<div class="field"><label for="current">{current}</label><input id="current" name="current" type="password" autocomplete="current-password" required></div>
<div class="field"><label for="new-password">{new_password}</label><input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>
<p><button type="submit">{change_password}</button></p></form></section>
<section class="card mb-6 max-w-md"><h2>{email}</h2><form method="post" action="/account/security">{csrf}<input type="hidden" name="action" value="email">
<div class="field"><label for="new-email">{new_email}</label><input id="new-email" name="email" type="email" autocomplete="email" required></div>
<div class="field"><label for="email-current">{current}</label><input id="email-current" name="current" type="password" autocomplete="current-password" required></div>
<p><button type="submit">{change_email}</button></p></form></section>)",
      fmt::arg("sessions", text("Sessions")), fmt::arg("list", sessions_list), fmt::arg("csrf", csrf),
      fmt::arg("end_others", text("Sign out my other sessions")), fmt::arg("password", text("Password")),
      fmt::arg("current", text("Current password")), fmt::arg("new_password", text("New password")),
      fmt::arg("change_password", text("Change the password")), fmt::arg("email", text("Email")),
      fmt::arg("new_email", text("New email")), fmt::arg("change_email", text("Change the email")));
  std::string two_factor =
      "<h2>" + text("Two-factor sign-in") + "</h2>" +
      (on ? "<p class=\"mb-3\">" + text("Two-factor sign-in is on.") + "</p>" + code_form("disable", "Turn off two-factor sign-in")
          : fmt::format(R"(<p class="mb-3">{}</p><form method="post" action="/account/security" class="mb-6">{}<input type="hidden" name="action" value="begin"><p><button type="submit">{}</button></p></form>)",
                        text("Two-factor sign-in is off."), csrf, text("Set up two-factor sign-in")));
  return render(notice + two_factor + account_forms);
}

http::Response SessionPages::email_change_link(const http::Request& request, const http::RequestContext& context,
                                               const tenancy::Tenant& tenant) {
  auto user = services_.accounts.finish_email_change(query_field(request, "token"));
  if (!user) return error_page(request, status::forbidden, "Link not valid", user.error().message(), &tenant);
  services_.audit.record({0, "", "user", user->id, std::nullopt, tenant.id, "account.email_changed", user->email, "{}",
                          context.remote_address});
  i18n::Translator tr(page_locale(request, &tenant, nullptr));
  return notice(request, tenant, tr("Email changed"),
                fmt::format("{} {}.", escape_html(tr("Your account now uses")), escape_html(user->email)));
}

}  // namespace calyx::web
