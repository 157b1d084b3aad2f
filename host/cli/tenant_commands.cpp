// `calyx tenant create|list|show|suspend|activate|delete` and `calyx module enable|disable`.
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace calyx::cli {
namespace {

std::string join(const std::vector<std::string>& items, const std::string& empty = "-") {
  if (items.empty()) return empty;
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// --db-config takes {"url": "postgresql://…"} (the brief's JSON form) or the URL itself.
Result<std::string> database_url_from(const std::string& db_config) {
  if (db_config.empty() || db_config.front() != '{') return db_config;
  boost::system::error_code ec;
  auto json = boost::json::parse(db_config, ec);
  const auto* object = ec ? nullptr : json.if_object();
  const auto* url = object && object->contains("url") ? object->at("url").if_string() : nullptr;
  if (!url) return Error::invalid_argument("--db-config must be a database URL or a JSON object {\"url\": \"...\"}");
  return std::string(url->begin(), url->end());
}

// Operator actions are audited as the system's.
void audit(HostContext& host, std::optional<std::int64_t> tenant, const std::string& action, const std::string& target,
           const std::string& metadata = "{}") {
  host.audit->record({0, "", "system", std::nullopt, std::nullopt, tenant, action, target, metadata, ""});
}

}  // namespace

int tenant_create(const std::string& config_file, const TenantCreateArgs& args) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto isolation = tenancy::parse_isolation(args.isolation);
  if (!isolation) return fail(isolation.error().message());
  auto url = database_url_from(args.db_config);
  if (!url) return fail(url.error().message());
  auto tenant = (*host)->tenancy->create({args.slug, args.name, *isolation, args.domains, args.parent, *url, args.modules});
  if (!tenant) return fail(tenant.error().message());
  audit(**host, tenant->id, "tenant.created", tenant->slug,
        fmt::format(R"({{"isolation":"{}"}})", tenancy::to_string(tenant->isolation)));
  std::printf("created tenant %s (%s, data in %s)\n", tenant->slug.c_str(), std::string(to_string(tenant->isolation)).c_str(),
              tenant->data_location.c_str());
  std::vector<std::string> addresses{tenant->slug + "." + (*host)->settings.base_domain};
  for (const auto& domain : tenant->domains) {
    if (domain != addresses.front()) addresses.push_back(domain);
  }
  std::printf("served at %s\n", join(addresses).c_str());
  if (!tenant->modules.empty()) std::printf("modules: %s\n", join(tenant->modules).c_str());
  return 0;
}

int tenant_list(const std::string& config_file, const std::string& parent) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto tenants = parent.empty() ? (*host)->tenancy->list() : (*host)->tenancy->children(parent);
  if (!tenants) return fail(tenants.error().message());
  if (tenants->empty() && !parent.empty()) {
    std::printf("tenant %s has no children\n", parent.c_str());
    return 0;
  }
  if (tenants->empty()) {
    std::printf("no tenants yet: calyx tenant create --slug acme --name \"Acme\"\n");
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"SLUG", "NAME", "STATUS", "ISOLATION", "DOMAINS", "MODULES"}};
  for (const auto& t : *tenants) {
    rows.push_back({t.slug, t.name, std::string(to_string(t.status)), std::string(to_string(t.isolation)),
                    join(t.domains), join(t.modules)});
  }
  print_table(rows);
  return 0;
}

int tenant_show(const std::string& config_file, const std::string& slug) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto t = (*host)->tenancy->find(slug);
  if (!t) return fail(t.error().message());
  std::string parent = "-";
  std::vector<std::string> children;
  auto all = (*host)->tenancy->list();
  for (const auto& other : all ? *all : std::vector<tenancy::Tenant>{}) {
    if (t->parent_id && other.id == *t->parent_id) parent = other.slug;
    if (other.parent_id == t->id) children.push_back(other.slug);
  }
  print_table({{"slug", t->slug},
               {"name", t->name},
               {"status", std::string(to_string(t->status))},
               {"isolation", std::string(to_string(t->isolation))},
               {"data", t->data_location},
               {"domains", join(t->domains, t->slug + "." + (*host)->settings.base_domain)},
               {"parent", parent},
               {"children", join(children)},
               {"sign-up", t->allow_signup ? "on" : "off"},
               {"support", t->support_email.empty() ? "-" : t->support_email},
               {"modules", join(t->modules)},
               {"created", t->created_at},
               {"updated", t->updated_at}});
  return 0;
}

int tenant_support_email(const std::string& config_file, const std::string& slug, const std::string& email) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  if (auto ok = (*host)->tenancy->set_support_email(slug, email); !ok) return fail(ok.error().message());
  audit(**host, (*host)->tenancy->find(slug)->id, "tenant.support_email_changed", email);
  std::printf(email.empty() ? "%s's emails come from the platform's no-reply address\n" : "%s's emails come from %s\n",
              slug.c_str(), email.c_str());
  return 0;
}

int tenant_signup(const std::string& config_file, const std::string& slug, bool allowed) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  if (auto ok = (*host)->tenancy->set_signup(slug, allowed); !ok) return fail(ok.error().message());
  audit(**host, (*host)->tenancy->find(slug)->id, "tenant.signup_changed", slug, allowed ? R"({"signup":true})" : R"({"signup":false})");
  std::printf("sign-up on %s is %s\n", slug.c_str(), allowed ? "on: /register" : "off");
  return 0;
}

int tenant_set_status(const std::string& config_file, const std::string& slug, const std::string& status) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto parsed = tenancy::parse_status(status);
  if (!parsed) return fail(parsed.error().message());
  if (auto ok = (*host)->tenancy->set_status(slug, *parsed); !ok) return fail(ok.error().message());
  audit(**host, (*host)->tenancy->find(slug)->id, "tenant.status_changed", slug, fmt::format(R"({{"status":"{}"}})", status));
  std::printf("tenant %s is %s\n", slug.c_str(), status.c_str());
  return 0;
}

int tenant_delete(const std::string& config_file, const std::string& slug, bool purge, bool yes) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto doomed = (*host)->tenancy->find(slug);
  if (!doomed) return fail(fmt::format("no tenant '{}'", slug));
  if (purge && !yes) {
    if (!isatty(STDIN_FILENO)) return fail("--purge destroys the tenant's data: confirm with --yes");
    std::printf("This destroys every piece of data of tenant '%s'. Type its slug to confirm: ", slug.c_str());
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != slug) return fail("not confirmed; nothing was deleted");
  }
  if (auto ok = (*host)->tenancy->remove(slug, purge); !ok) return fail(ok.error().message());
  audit(**host, purge ? std::nullopt : std::optional<std::int64_t>(doomed->id), purge ? "tenant.purged" : "tenant.deleted", slug);
  std::printf(purge ? "tenant %s and its data were purged\n" : "tenant %s is deleted (its data is kept)\n", slug.c_str());
  return 0;
}

int module_enable(const std::string& config_file, const std::string& code, const std::string& slug,
                  const std::string& options) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto enabled = (*host)->tenancy->enable_module(slug, code, options.empty() ? "{}" : options);
  if (!enabled) return fail(enabled.error().message());
  for (const auto& module : *enabled) audit(**host, (*host)->tenancy->find(slug)->id, "module.enabled", module);
  if (enabled->empty()) std::printf("module %s was already enabled for %s\n", code.c_str(), slug.c_str());
  for (const auto& module : *enabled) std::printf("enabled %s for %s\n", module.c_str(), slug.c_str());
  return 0;
}

int module_disable(const std::string& config_file, const std::string& code, const std::string& slug, bool purge) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  if (auto ok = (*host)->tenancy->disable_module(slug, code, purge); !ok) return fail(ok.error().message());
  audit(**host, (*host)->tenancy->find(slug)->id, "module.disabled", code, purge ? R"({"purged":true})" : "{}");
  std::printf("disabled %s for %s%s\n", code.c_str(), slug.c_str(), purge ? " and removed its data" : " (data kept)");
  return 0;
}

}  // namespace calyx::cli

namespace calyx::cli {

int tenant_migrate(const std::string& config_file, const std::string& slug, unsigned jobs) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto results = (*host)->tenancy->migrate_tenants(slug, jobs);
  if (!results) return fail(results.error().message());
  if (results->empty()) {
    std::printf("no tenants to migrate\n");
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"TENANT", "STATUS", "APPLIED", "TIME", "ERROR"}};
  int failed = 0;
  for (const auto& r : *results) {
    const char* state = r.state == tenancy::TenantMigration::State::failed     ? "failed"
                        : r.state == tenancy::TenantMigration::State::migrated ? "migrated"
                                                                               : "up to date";
    failed += r.state == tenancy::TenantMigration::State::failed;
    rows.push_back({r.tenant, state, join(r.applied), fmt::format("{} ms", r.duration.count()), r.error.empty() ? "-" : r.error});
  }
  print_table(rows);
  if (failed) {
    std::fprintf(stderr, "%d of %zu tenant(s) failed and were rolled back; fix the cause and run again to resume\n",
                 failed, results->size());
    return 1;
  }
  return 0;
}

}  // namespace calyx::cli

namespace calyx::cli {

int tenant_token(const std::string& config_file, const std::string& action, const std::string& slug,
                 const std::string& name) {
  auto host = open_host(config_file, false);
  if (!host) return fail(host.error().message());
  auto& tenancy = *(*host)->tenancy;
  if (action == "create") {
    auto token = tenancy.issue_token(slug, name);
    if (!token) return fail(token.error().message());
    audit(*host.value(), tenancy.find(slug)->id, "api_token.issued", name);
    std::printf("%s\n", token->c_str());
    std::fprintf(stderr, "token '%s' of tenant %s: keep it now, it is not shown again. Use it as\n"
                 "  Authorization: Bearer <token>\n  X-Calyx-Tenant: %s\n", name.c_str(), slug.c_str(), slug.c_str());
    return 0;
  }
  if (action == "revoke") {
    if (auto ok = tenancy.revoke_token(slug, name); !ok) return fail(ok.error().message());
    audit(*host.value(), tenancy.find(slug)->id, "api_token.revoked", name);
    std::printf("token '%s' of tenant %s is revoked\n", name.c_str(), slug.c_str());
    return 0;
  }
  auto tokens = tenancy.tokens(slug);
  if (!tokens) return fail(tokens.error().message());
  if (tokens->empty()) {
    std::printf("tenant %s has no API tokens\n", slug.c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "TOKEN", "CREATED"}};
  for (const auto& t : *tokens) rows.push_back({t.name, t.prefix + "…", t.created_at});
  print_table(rows);
  return 0;
}

}  // namespace calyx::cli
