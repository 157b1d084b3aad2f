// `calyx demo`: seeds a fresh database with something to look at — a platform admin, tenant acme (isolated,
// acme.localhost) and tenant globex (shared, globex.localhost), each with its own theme and logo, Blog, a few
// posts, an owner and a member — and prints the addresses and credentials. Idempotent: what exists is left as
// it is (a tenant without a theme gets its demo theme). The posts are written through Blog's own routes, as its
// editor would.
#include "cli/commands.hpp"
#include "cli/common.hpp"

#include <calyx/modules/dispatch.hpp>

#include <fmt/format.h>

#include <calyx/embedded_file.hpp>

#include <cstdio>

std::vector<calyx::EmbeddedFile> calyx_demo_asset_files();  // generated: host/cli/demo_assets/*.png

namespace calyx::cli {
namespace {

struct DemoTenant {
  const char *slug, *name, *isolation, *owner, *owner_name, *member, *member_name;
  std::vector<std::pair<const char*, const char*>> posts;  // title, body (Markdown)
  themes::Values theme;
};

constexpr const char* kDemoPassword = "calyx-demo-password";

// Writes a post through Blog's routes (create, then publish), as the tenant's owner.
Status write_post(HostContext& host, const tenancy::Tenant& tenant, const accounts::User& owner, const char* title,
                  const char* body) {
  const auto& registry = host.catalog->registry();
  auto scope = host.tenancy->data_scope(tenant);
  if (!scope) return scope.error();
  modules::CallScope call;
  call.tenant = {tenant.id, tenant.slug, tenant.name, std::string(tenancy::to_string(tenant.isolation))};
  call.user.id = owner.id;
  call.user.email = owner.email;
  call.user.name = owner.name;
  call.user.permissions = {"blog.posts.view", "blog.posts.edit", "blog.posts.publish"};
  call.data = *scope;
  call.host_pool = host.pool.get();
  call.active_modules = {tenant.modules.begin(), tenant.modules.end()};
  auto encode = [](std::string text) {
    std::string out;
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_') out += static_cast<char>(c);
      else out += fmt::format("%{:02X}", c);
    }
    return out;
  };
  auto route = [&](const std::string& method, const std::string& path, const std::string& body_text) {
    auto match = registry.route(method, path);
    if (!match) return modules::DispatchOutcome{};
    return modules::run_route(registry, *match, {method, path, "", body_text, {}, match->params}, call);
  };
  auto created = route("POST", "/blog/editor/posts", "title=" + encode(title) + "&body=" + encode(body));
  if (created.status != CALYX_OK) return Error::failed(fmt::format("writing '{}': {}", title, created.error));
  std::string location;
  for (const auto& [name, value] : created.response.headers) {
    if (name == "Location") location = value;
  }
  auto id = location.substr(std::string("/blog/editor/posts/").size());
  id = id.substr(0, id.find('/'));
  auto published = route("POST", "/blog/editor/posts/" + id + "/publish", "");
  if (published.status != CALYX_OK) return Error::failed(fmt::format("publishing '{}': {}", title, published.error));
  return Ok{};
}

Result<accounts::User> ensure_user(HostContext& host, const std::string& email, const std::string& name, bool admin) {
  if (auto user = host.accounts->find_user(email)) return user;
  return host.accounts->create_user({email, name, kDemoPassword, admin, true});
}

}  // namespace

int demo(const std::string& config_file) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto& h = **host;
  if (!h.catalog->registry().find("blog")) return fail("the demo needs the Blog module in CALYX_MODULES_DIR");
  auto admin = ensure_user(h, "admin@calyx.localhost", "Platform admin", true);
  if (!admin) return fail(admin.error().message());

  const std::vector<DemoTenant> tenants = {
      {"acme", "Acme Inc", "isolated", "ann@acme.localhost", "Ann Acme", "carl@acme.localhost", "Carl Acme",
       {{"Welcome to Acme", "Acme makes **everything**. This workspace keeps its data in a schema or file of its own."},
        {"Our roadmap", "1. Rockets\n2. Anvils\n3. *Portable holes*"}},
       {{"primary_color", "#c2410c"}, {"secondary_color", "#0369a1"}, {"accent_color", "#be123c"},
        {"background_color", "#fff7ed"}, {"text_color", "#1c1917"}, {"font_family", "system-ui, sans-serif"},
        {"heading_font", "Georgia, serif"}, {"company_name", "Acme Inc"}, {"support_email", "help@acme.localhost"},
        {"copyright_text", "© Acme Inc. Everything, made well."}}},
      {"globex", "Globex Corporation", "shared", "bob@globex.localhost", "Bob Globex", "dana@globex.localhost",
       "Dana Globex",
       {{"Hello from Globex", "Globex shares its tables with other tenants; row-level scoping keeps its rows its own."}},
       {{"primary_color", "#0f766e"}, {"secondary_color", "#7c3aed"}, {"accent_color", "#ea580c"},
        {"background_color", "#f0fdfa"}, {"text_color", "#0f172a"}, {"font_family", "'Trebuchet MS', sans-serif"},
        {"company_name", "Globex Corporation"}, {"copyright_text", "© Globex Corporation"}}},
  };
  for (const auto& spec : tenants) {
    auto owner = ensure_user(h, spec.owner, spec.owner_name, false);
    if (!owner) return fail(owner.error().message());
    auto tenant = h.tenancy->find(spec.slug);
    if (!tenant) {
      tenant = h.tenancy->create({spec.slug, spec.name, tenancy::parse_isolation(spec.isolation).value(),
                                  {std::string(spec.slug) + ".localhost"}, "", "", {"blog"}});
      if (!tenant) return fail(tenant.error().message());
      if (auto ok = h.memberships->set_role(tenant->id, owner->id, orgs::TenantRole::owner); !ok) return fail(ok.error().message());
      (void)h.memberships->grant_module_role(tenant->id, owner->id, "blog.editor");
      for (const auto& [title, body] : spec.posts) {
        if (auto ok = write_post(h, *tenant, *owner, title, body); !ok) return fail(ok.error().message());
      }
      std::printf("seeded tenant %s (%s)\n", spec.slug, spec.isolation);
    } else {
      std::printf("tenant %s is already there\n", spec.slug);
    }
    // A member who reads but does not edit the blog.
    auto member = ensure_user(h, spec.member, spec.member_name, false);
    if (!member) return fail(member.error().message());
    if (auto current = h.memberships->of(tenant->id, member->id); current && !*current) {
      if (auto ok = h.memberships->set_role(tenant->id, member->id, orgs::TenantRole::member); !ok) return fail(ok.error().message());
      (void)h.memberships->grant_module_role(tenant->id, member->id, "blog.viewer");
    }
    if (tenant->theme.empty()) {
      if (auto ok = h.tenancy->set_theme(spec.slug, spec.theme); !ok) return fail(ok.error().message());
      std::string logo = std::string(spec.slug) + "-logo.png";
      for (const auto& file : calyx_demo_asset_files()) {
        if (file.name != logo) continue;
        if (auto url = h.tenancy->put_theme_image(spec.slug, "logo_url", file.content); !url) return fail(url.error().message());
      }
    }
  }
  std::printf("\nCalyx demo — password for every account: %s\n", kDemoPassword);
  std::printf("  platform admin  admin@calyx.localhost (sign in on any workspace: Administration → All workspaces)\n");
  std::string port = std::to_string(h.settings.listen_port);
  for (const auto& spec : tenants) {
    std::printf("  %-7s  http://%s.localhost:%s/sign-in   owner %s, member %s (blog: http://%s.localhost:%s/blog)\n",
                spec.slug, spec.slug, port.c_str(), spec.owner, spec.member, spec.slug, port.c_str());
  }
  return 0;
}

}  // namespace calyx::cli
