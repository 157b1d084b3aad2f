// Platform admin pages: every workspace, the module catalog, the audit log.
#include "web/admin_html.hpp"
#include "web/admin_ui.hpp"

#include <calyx/templates/template.hpp>

#include <fmt/format.h>

namespace calyx::web {

using http::bhttp::status;
using templates::escape_html;
using namespace admin_html;

namespace {

std::string_view status_badge(tenancy::TenantStatus state) {
  switch (state) {
    case tenancy::TenantStatus::active: return "badge-ok";
    case tenancy::TenantStatus::inactive: return "badge-warn";
    case tenancy::TenantStatus::suspended:
    case tenancy::TenantStatus::deleted: return "badge-bad";
  }
  return "";
}

}  // namespace

http::Response AdminPages::platform_tenants(const http::Request& request, const http::RequestContext& context,
                                            const AdminRequest& admin) {
  const auto& tr = admin.frame.tr;
  auto& tenancy = services_.tenancy;
  if (request.method() == http::bhttp::verb::post) {
    std::string_view body = request.body();
    std::string action = field(body, "action"), slug = field(body, "slug");
    Status ok = Ok{};
    Flash flash = Flash::tenant_updated;
    if (action == "create") {
      tenancy::NewTenant spec;
      spec.slug = slug;
      spec.name = field(body, "name");
      auto isolation = tenancy::parse_isolation(field(body, "isolation"));
      if (!isolation) return refused(request, admin, "All workspaces", isolation.error().message());
      spec.isolation = *isolation;
      if (auto domain = field(body, "domain"); !domain.empty()) spec.domains.push_back(domain);
      spec.parent_slug = field(body, "parent");
      spec.database_url = field(body, "database_url");
      auto created = tenancy.create(spec);
      if (!created) return refused(request, admin, "All workspaces", created.error().message());
      flash = Flash::tenant_created;
    } else if (action == "suspend") {
      ok = tenancy.set_status(slug, tenancy::TenantStatus::suspended);
    } else if (action == "activate") {
      ok = tenancy.set_status(slug, tenancy::TenantStatus::active);
    } else if (action == "delete") {
      if (slug == admin.tenant.slug) {
        return refused(request, admin, "All workspaces", tr("Delete this workspace from another one's address."));
      }
      ok = tenancy.remove(slug, false);
    } else if (action == "allow_js" || action == "forbid_js") {
      ok = tenancy.set_custom_js_allowed(slug, action == "allow_js");
    } else {
      ok = Error::invalid_argument(std::string(tr("The form asked for nothing this page does.")));
    }
    if (!ok) return refused(request, admin, "All workspaces", ok.error().message());
    return done(request, context, admin, "platform.tenant_" + action, slug, "/platform/tenants", flash);
  }
  auto tenants = tenancy.list();
  if (!tenants) return error_page(request, status::service_unavailable, "All workspaces", tenants.error().message(), &admin.tenant);
  std::string rows;
  for (const auto& t : *tenants) {
    auto button = [&](std::string_view action, std::string_view label, std::string_view classes) {
      return fmt::format(
          R"(<form method="post" action="/platform/tenants" class="inline">{}<input type="hidden" name="slug" value="{}"><input type="hidden" name="action" value="{}"><button type="submit" class="btn {}">{}</button></form>)",
          csrf_field(admin), escape_html(t.slug), action, classes, escape_html(tr(label)));
    };
    std::string actions;
    if (t.status != tenancy::TenantStatus::deleted) {
      actions += t.status == tenancy::TenantStatus::active ? button("suspend", "Suspend", "btn-secondary")
                                                           : button("activate", "Activate", "btn-secondary");
      actions += t.allow_custom_js ? button("forbid_js", "Forbid custom JS", "btn-secondary")
                                   : button("allow_js", "Allow custom JS", "btn-secondary");
      if (t.slug != admin.tenant.slug) actions += button("delete", "Delete", "btn-danger");
    }
    std::string domains;
    for (const auto& domain : t.domains) domains += (domains.empty() ? "" : ", ") + escape_html(domain);
    std::string modules;
    for (const auto& code : t.modules) modules += (modules.empty() ? "" : ", ") + escape_html(code);
    rows += fmt::format(
        R"(<tr data-tenant="{slug}"><td><strong>{name}</strong><br><code class="text-xs">{slug}</code></td><td><span class="badge {badge}">{status}</span></td><td>{isolation}</td><td>{domains}</td><td>{modules}</td><td class="space-x-1 space-y-1">{actions}</td></tr>)",
        fmt::arg("slug", escape_html(t.slug)), fmt::arg("name", escape_html(t.name)), fmt::arg("badge", status_badge(t.status)),
        fmt::arg("status", escape_html(tr(tenancy::to_string(t.status)))),
        fmt::arg("isolation", escape_html(tr(tenancy::to_string(t.isolation)))), fmt::arg("domains", domains),
        fmt::arg("modules", modules), fmt::arg("actions", actions));
  }
  std::string body = fmt::format(
      R"(<h1>{title}</h1>
<div class="card mb-6 overflow-x-auto"><table><thead><tr><th scope="col">{workspace}</th><th scope="col">{status}</th><th scope="col">{isolation}</th><th scope="col">{domains}</th><th scope="col">{modules}</th><th scope="col"><span class="sr-only">{actions}</span></th></tr></thead><tbody>{rows}</tbody></table></div>
<section class="card max-w-xl"><h2>{create}</h2><form method="post" action="/platform/tenants">{csrf}<input type="hidden" name="action" value="create">
<div class="field"><label for="new-slug">{slug}</label><input id="new-slug" name="slug" type="text" required pattern="[a-z][a-z0-9-]{{1,39}}" autocomplete="off"><p class="hint">{slug_hint}</p></div>
<div class="field"><label for="new-name">{name}</label><input id="new-name" name="name" type="text" required maxlength="120"></div>
<div class="field"><label for="new-isolation">{isolation}</label><select id="new-isolation" name="isolation"><option value="isolated">{isolated}</option><option value="shared">{shared}</option><option value="enterprise">{enterprise}</option></select></div>
<div class="field"><label for="new-domain">{domain}</label><input id="new-domain" name="domain" type="text" autocomplete="off"><p class="hint">{domain_hint}</p></div>
<div class="field"><label for="new-parent">{parent}</label><input id="new-parent" name="parent" type="text" autocomplete="off"></div>
<div class="field"><label for="new-database">{database}</label><input id="new-database" name="database_url" type="text" autocomplete="off"><p class="hint">{database_hint}</p></div>
<button type="submit" class="btn">{create}</button></form></section>)",
      fmt::arg("title", escape_html(tr("All workspaces"))), fmt::arg("workspace", escape_html(tr("Workspace"))),
      fmt::arg("status", escape_html(tr("Status"))), fmt::arg("isolation", escape_html(tr("Isolation"))),
      fmt::arg("domains", escape_html(tr("Domains"))), fmt::arg("modules", escape_html(tr("Modules"))),
      fmt::arg("actions", escape_html(tr("Actions"))), fmt::arg("rows", rows),
      fmt::arg("create", escape_html(tr("Create a workspace"))), fmt::arg("csrf", csrf_field(admin)),
      fmt::arg("slug", escape_html(tr("Slug"))),
      fmt::arg("slug_hint", escape_html(tr("Lower-case letters, digits and dashes, 2 to 40, starting with a letter."))),
      fmt::arg("name", escape_html(tr("Name"))), fmt::arg("isolated", escape_html(tr("isolated"))),
      fmt::arg("shared", escape_html(tr("shared"))), fmt::arg("enterprise", escape_html(tr("enterprise"))),
      fmt::arg("domain", escape_html(tr("Domain"))),
      fmt::arg("domain_hint", escape_html(tr("Optional: it also answers at <slug>.<base domain>."))),
      fmt::arg("parent", escape_html(tr("Parent workspace (slug, optional)"))),
      fmt::arg("database", escape_html(tr("Database (enterprise only)"))),
      fmt::arg("database_hint", escape_html(tr("A database URL, or a file path on SQLite."))));
  return page_response(request, status::ok, admin.frame, Layout::app, tr("All workspaces"), body);
}

http::Response AdminPages::platform_modules(const http::Request& request, const AdminRequest& admin) {
  const auto& tr = admin.frame.tr;
  std::string rows;
  for (const auto& entry : services_.tenancy.registry().statuses()) {
    std::string dependencies;
    if (entry.module) {
      for (const auto& dependency : entry.module->dependencies) {
        dependencies += (dependencies.empty() ? "" : ", ") + escape_html(dependency.code + " " + dependency.requirement.text());
      }
    }
    rows += fmt::format(
        R"(<tr data-catalog="{code}"><td><strong>{name}</strong><br><code class="text-xs">{code}</code></td><td>{version}</td><td>{dependencies}</td><td><code class="text-xs break-all">{file}</code></td><td>{state}</td></tr>)",
        fmt::arg("code", escape_html(entry.module ? entry.module->code : "")),
        fmt::arg("name", escape_html(entry.module ? entry.module->name : "")),
        fmt::arg("version", escape_html(entry.module ? entry.module->version.to_string() : "")),
        fmt::arg("dependencies", dependencies), fmt::arg("file", escape_html(entry.file)),
        fmt::arg("state", entry.loaded ? fmt::format(R"(<span class="badge badge-ok">{}</span>)", escape_html(tr("loaded")))
                                       : fmt::format(R"(<span class="badge badge-bad">{}</span> <span class="text-sm">{}</span>)",
                                                     escape_html(tr("refused")), escape_html(entry.reason))));
  }
  std::string body = fmt::format(
      R"(<h1>{}</h1><div class="card overflow-x-auto"><table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table></div>)",
      escape_html(tr("Module catalog")), escape_html(tr("Module")), escape_html(tr("Version")), escape_html(tr("Needs")),
      escape_html(tr("File")), escape_html(tr("Status")), rows);
  return page_response(request, status::ok, admin.frame, Layout::app, tr("Module catalog"), body);
}

http::Response AdminPages::platform_audit(const http::Request& request, const AdminRequest& admin) {
  const auto& tr = admin.frame.tr;
  auto entries = services_.audit.latest(200);
  if (!entries) return error_page(request, status::service_unavailable, "Audit log", entries.error().message(), &admin.tenant);
  std::string rows;
  for (const auto& e : *entries) {
    rows += fmt::format(
        R"(<tr><td class="whitespace-nowrap">{}</td><td>{}{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>)",
        escape_html(e.at), escape_html(e.actor_kind), e.actor_user_id ? fmt::format(" #{}", *e.actor_user_id) : "",
        escape_html(e.action), e.tenant_id ? fmt::format("#{}", *e.tenant_id) : "", escape_html(e.target), escape_html(e.ip));
  }
  std::string body = fmt::format(
      R"(<h1>{}</h1><div class="card overflow-x-auto"><table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">IP</th></tr></thead><tbody>{}</tbody></table></div>)",
      escape_html(tr("Audit log")), escape_html(tr("When")), escape_html(tr("Who")), escape_html(tr("Action")),
      escape_html(tr("Workspace")), escape_html(tr("Target")), rows);
  return page_response(request, status::ok, admin.frame, Layout::app, tr("Audit log"), body);
}

}  // namespace calyx::web
