// /join?token=…: an invitation to the workspace. Signed in with the invited address: accept. Not signed in: sign in
// first when the address has an account, or create it here (name and password; the link proves the address).
#include "web/session_forms.hpp"
#include "web/sessions.hpp"

#include <calyx/accounts/passwords.hpp>
#include <calyx/templates/template.hpp>

#include <fmt/format.h>

namespace calyx::web {

using namespace session_forms;

http::Response SessionPages::join(const http::Request& request, const http::RequestContext& context,
                                  const tenancy::Tenant& tenant, const Visitor& visitor) {
  i18n::Translator tr(page_locale(request, &tenant, &visitor));
  if (!services_.invitations) return error_page(request, status::not_found, "Page not found", "There is no page at this address.", &tenant);
  bool posted = request.method() == http::bhttp::verb::post;
  std::string token = posted ? form_field(request.body(), "token").value_or("") : query_field(request, "token");
  auto invitation = services_.invitations->find(tenant.id, token);
  if (!invitation) return error_page(request, status_for(invitation.error()), "Invitation not valid", invitation.error().message(), &tenant);
  std::string title = fmt::format("{} {}", tr("Join"), tenant.name);
  std::string intro = fmt::format(R"(<p class="mb-4">{}</p>)",
                                  escape_html(fmt::format("{} {} ({}).", tr("You are invited to join this workspace as"),
                                                          tr(std::string(orgs::to_string(invitation->role))), invitation->email)));
  auto audit = [&](std::int64_t user_id) {
    services_.audit.record({0, "", "user", user_id, std::nullopt, tenant.id, "member.joined", invitation->email, "{}",
                            context.remote_address});
    if (services_.tenancy) {
      (void)services_.tenancy->user_joined(tenant, user_id, invitation->email);
    }
  };

  if (visitor.session) {
    // Signed in: the session's CSRF check has already run for a POST.
    if (posted) {
      auto accepted = services_.invitations->accept(tenant.id, token, visitor.session->user.id, visitor.session->user.email);
      if (!accepted) return error_page(request, status_for(accepted.error()), "Invitation not accepted", accepted.error().message(), &tenant);
      audit(visitor.session->user.id);
      return redirect(request, "/");
    }
    std::string body = fmt::format(
        R"(<h1>{}</h1>{}<form method="post" action="/join"><input type="hidden" name="_csrf" value="{}"><input type="hidden" name="token" value="{}"><button type="submit">{}</button></form>)",
        escape_html(title), intro, escape_html(visitor.session->csrf_token), escape_html(token), escape_html(tr("Accept")));
    return card_response(request, &tenant, title, body);
  }

  if (services_.accounts.find_user(invitation->email)) {
    // The address has an account: its owner signs in, then comes back here.
    std::string next = "%2Fjoin%3Ftoken%3D" + token;  // tokens are hex: only the separators need encoding
    std::string body = fmt::format(R"(<h1>{}</h1>{}<p><a class="btn no-underline" href="/sign-in?next={}">{}</a></p>)",
                                   escape_html(title), intro, escape_html(next),
                                   escape_html(fmt::format("{} {}", tr("Sign in as"), invitation->email)));
    return card_response(request, &tenant, title, body);
  }

  std::string fields = fmt::format(
      R"(<input type="hidden" name="token" value="{}">
<div class="field"><label for="name">{}</label><input id="name" name="name" type="text" autocomplete="name"></div>
<div class="field"><label for="password">{}</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required></div>)",
      escape_html(token), escape_html(tr("Name")), escape_html(tr("Password (at least 10 characters)")));
  if (!posted) return form_page(request, tenant, title, intro, "/join", fields, "Create my account", status::ok);
  if (!double_submit_ok(request)) {
    return form_page(request, tenant, title, fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(tr("The form expired. Please try again."))), "/join", fields,
                     "Create my account", status::forbidden);
  }
  std::string password = form_field(request.body(), "password").value_or("");
  // The link proves the address: the account starts confirmed.
  auto user = services_.accounts.create_user({invitation->email, form_field(request.body(), "name").value_or(""), password, false, true});
  if (!user) {
    return form_page(request, tenant, title,
                     intro + fmt::format(R"(<p role="alert" class="flash flash-error">{}</p>)", escape_html(user.error().message())),
                     "/join", fields, "Create my account", status::unprocessable_entity);
  }
  auto accepted = services_.invitations->accept(tenant.id, token, user->id, user->email);
  if (!accepted) return error_page(request, status_for(accepted.error()), "Invitation not accepted", accepted.error().message(), &tenant);
  audit(user->id);
  auto session = services_.accounts.sign_in({user->email, password, context.remote_address,
                                             std::string(request[http::bhttp::field::user_agent]), tenant.id});
  if (!session) return redirect(request, "/sign-in");
  return signed_in(request, context, tenant, *session, "/");
}

}  // namespace calyx::web
