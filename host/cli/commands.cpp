// The `calyx` command line: `serve`, `migrate`, `module list`, `--help`, `--version`. Every failure is
// printed as one line naming its cause and ends with a non-zero exit code; usage errors (unknown command,
// bad flag) print the usage too.
#include "cli/commands.hpp"
#include "cli/common.hpp"

#include <CLI/CLI.hpp>
#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace calyx::cli {

int run(int argc, char** argv) {
  if (sodium_init() < 0) return fail("libsodium failed to initialize");
  // Logs go to stderr so that a command's own output (stdout) stays clean for scripts.
  spdlog::set_default_logger(spdlog::stderr_color_mt("calyx"));
  CLI::App app{"Calyx — a multi-tenant, white-label SaaS platform host", "calyx"};
  app.set_version_flag("--version", std::string("calyx ") + CALYX_VERSION);
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  std::string config_file;
  app.add_option("--config", config_file, "Read settings from this KEY=VALUE file (the environment wins)")
      ->check(CLI::ExistingFile);

  auto* serve_cmd = app.add_subcommand("serve", "Serve HTTP on CALYX_LISTEN (default 127.0.0.1:4000)");
  auto* migrate_cmd = app.add_subcommand("migrate", "Apply the host's pending global migrations");
  auto* module_cmd = app.add_subcommand("module", "Inspect and manage modules");
  module_cmd->require_subcommand(1);
  auto* module_list_cmd =
      module_cmd->add_subcommand("list", "Modules found in CALYX_MODULES_DIR: version, ABI, dependencies, status");
  std::string module_code, module_tenant, module_options;
  bool module_purge = false;
  auto* module_enable_cmd = module_cmd->add_subcommand("enable", "Enable a module (and what it needs) for a tenant");
  module_enable_cmd->add_option("code", module_code, "Module code")->required();
  module_enable_cmd->add_option("--tenant", module_tenant, "Tenant slug")->required();
  module_enable_cmd->add_option("--options", module_options, "JSON options handed to the module's setup_tenant");
  auto* module_disable_cmd = module_cmd->add_subcommand("disable", "Disable a module for a tenant (data kept)");
  module_disable_cmd->add_option("code", module_code, "Module code")->required();
  module_disable_cmd->add_option("--tenant", module_tenant, "Tenant slug")->required();
  module_disable_cmd->add_flag("--purge", module_purge, "Also remove the module's data for the tenant");

  auto* tenant_cmd = app.add_subcommand("tenant", "Create and manage tenants");
  tenant_cmd->require_subcommand(1);
  TenantCreateArgs create_args;
  auto* tenant_create_cmd = tenant_cmd->add_subcommand("create", "Create a tenant");
  tenant_create_cmd->add_option("--slug", create_args.slug, "Lower-case letters, digits, dashes (2-40)")->required();
  tenant_create_cmd->add_option("--name", create_args.name, "Display name")->required();
  tenant_create_cmd->add_option("--isolation", create_args.isolation, "shared, isolated (default) or enterprise")
      ->check(CLI::IsMember({"shared", "isolated", "enterprise"}));
  tenant_create_cmd->add_option("--domain", create_args.domains, "A domain of the tenant (repeatable; first is primary)");
  tenant_create_cmd->add_option("--parent", create_args.parent, "Slug of the parent tenant");
  tenant_create_cmd->add_option("--module", create_args.modules, "A module to enable at once (repeatable)");
  tenant_create_cmd->add_option("--db-config", create_args.db_config,
                                "Enterprise: the tenant's database URL, or {\"url\": \"...\"}");
  auto* tenant_list_cmd = tenant_cmd->add_subcommand("list", "List tenants");
  std::string list_parent;
  tenant_list_cmd->add_option("--parent", list_parent, "Only the children of this tenant");
  std::string tenant_slug;
  bool tenant_purge = false, tenant_yes = false;
  auto* tenant_show_cmd = tenant_cmd->add_subcommand("show", "Show one tenant");
  auto* tenant_suspend_cmd = tenant_cmd->add_subcommand("suspend", "Suspend a tenant (its pages answer 403)");
  auto* tenant_activate_cmd = tenant_cmd->add_subcommand("activate", "Activate a tenant");
  auto* tenant_deactivate_cmd = tenant_cmd->add_subcommand("deactivate", "Put a tenant in maintenance (503)");
  auto* tenant_delete_cmd = tenant_cmd->add_subcommand("delete", "Delete a tenant (soft; --purge removes its data)");
  for (auto* command : {tenant_show_cmd, tenant_suspend_cmd, tenant_activate_cmd, tenant_deactivate_cmd, tenant_delete_cmd}) {
    command->add_option("slug", tenant_slug, "Tenant slug")->required();
  }
  tenant_delete_cmd->add_flag("--purge", tenant_purge, "Remove the tenant's schema or database file and records");
  tenant_delete_cmd->add_flag("--yes", tenant_yes, "Do not ask for confirmation");
  auto* token_cmd = tenant_cmd->add_subcommand("token", "API tokens: server-to-server calls naming the tenant");
  token_cmd->require_subcommand(1);
  std::string token_name;
  auto* token_create_cmd = token_cmd->add_subcommand("create", "Issue a token (printed once)");
  auto* token_list_cmd = token_cmd->add_subcommand("list", "List a tenant's tokens");
  auto* token_revoke_cmd = token_cmd->add_subcommand("revoke", "Revoke a token by name");
  for (auto* command : {token_create_cmd, token_list_cmd, token_revoke_cmd}) {
    command->add_option("slug", tenant_slug, "Tenant slug")->required();
  }
  token_create_cmd->add_option("--name", token_name, "What the token is for, e.g. billing-sync")->required();
  token_revoke_cmd->add_option("--name", token_name, "The token's name")->required();
  auto* signup_cmd = tenant_cmd->add_subcommand("signup", "Let people register on the tenant's host, or not");
  std::string signup_state;
  signup_cmd->add_option("slug", tenant_slug, "Tenant slug")->required();
  signup_cmd->add_option("state", signup_state, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  auto* support_cmd = tenant_cmd->add_subcommand("support-email", "The address the tenant's emails come from");
  std::string support_email;
  support_cmd->add_option("slug", tenant_slug, "Tenant slug")->required();
  support_cmd->add_option("email", support_email, "The address (omit to use the platform's no-reply address)");
  auto* member_cmd = tenant_cmd->add_subcommand("member", "Members of a tenant and their roles");
  member_cmd->require_subcommand(1);
  MemberArgs member_args;
  auto* member_add_cmd = member_cmd->add_subcommand("add", "Add a member, or change their roles");
  auto* member_list_cmd = member_cmd->add_subcommand("list", "List a tenant's members");
  auto* member_remove_cmd = member_cmd->add_subcommand("remove", "Remove a member");
  for (auto* command : {member_add_cmd, member_list_cmd, member_remove_cmd}) {
    command->add_option("slug", member_args.slug, "Tenant slug")->required();
  }
  for (auto* command : {member_add_cmd, member_remove_cmd}) {
    command->add_option("--email", member_args.email, "The user's email")->required();
  }
  member_add_cmd->add_option("--role", member_args.role, "owner, admin or member (new members: member; otherwise unchanged)")
      ->check(CLI::IsMember({"owner", "admin", "member"}));
  member_add_cmd->add_option("--module-role", member_args.module_roles, "A module role to grant, e.g. blog.editor");
  member_add_cmd->add_option("--prohibit", member_args.prohibited, "A permission to deny whatever the roles grant");
  auto* tenant_migrate_cmd = tenant_cmd->add_subcommand("migrate", "Apply pending module migrations of every tenant");
  std::string migrate_tenant;
  unsigned migrate_jobs = 1;
  tenant_migrate_cmd->add_option("--tenant", migrate_tenant, "Only this tenant (slug)");
  tenant_migrate_cmd->add_option("--jobs", migrate_jobs, "Tenants migrated in parallel (default 1)")
      ->check(CLI::Range(1u, 64u));

  auto* user_cmd = app.add_subcommand("user", "Users (global identities)");
  user_cmd->require_subcommand(1);
  UserCreateArgs user_args;
  std::string user_email;
  auto* user_create_cmd = user_cmd->add_subcommand("create", "Create a user (confirmed)");
  user_create_cmd->add_option("--email", user_args.email, "Email address")->required();
  user_create_cmd->add_option("--name", user_args.name, "Display name");
  user_create_cmd->add_flag("--platform-admin", user_args.platform_admin, "May administer the whole platform");
  user_create_cmd->add_flag("--password-stdin", user_args.password_stdin, "Read the password from standard input")
      ->required();
  auto* user_list_cmd = user_cmd->add_subcommand("list", "List users");
  auto* user_suspend_cmd = user_cmd->add_subcommand("suspend", "Suspend a user (signed out everywhere)");
  auto* user_activate_cmd = user_cmd->add_subcommand("activate", "Activate a suspended user");
  auto* user_reset_2fa_cmd = user_cmd->add_subcommand("reset-2fa", "Turn a user's two-factor sign-in off (lost device)");
  for (auto* command : {user_suspend_cmd, user_activate_cmd, user_reset_2fa_cmd}) {
    command->add_option("email", user_email, "Email")->required();
  }

  auto* org_cmd = app.add_subcommand("org", "Organizations: the customers that own tenants");
  org_cmd->require_subcommand(1);
  OrgArgs org_args;
  auto* org_create_cmd = org_cmd->add_subcommand("create", "Create an org with its first admin");
  org_create_cmd->add_option("--slug", org_args.slug, "Org slug")->required();
  org_create_cmd->add_option("--name", org_args.name, "Display name")->required();
  org_create_cmd->add_option("--admin", org_args.email, "Email of its first admin")->required();
  auto* org_list_cmd = org_cmd->add_subcommand("list", "List orgs");
  auto* org_members_cmd = org_cmd->add_subcommand("members", "List an org's members");
  auto* org_invitations_cmd = org_cmd->add_subcommand("invitations", "List an org's invitations");
  auto* org_invite_cmd = org_cmd->add_subcommand("invite", "Invite someone by email (or --resend ID)");
  auto* org_revoke_cmd = org_cmd->add_subcommand("revoke", "Revoke a pending invitation");
  auto* org_tenant_cmd = org_cmd->add_subcommand("tenant", "Make a tenant belong to the org");
  for (auto* command : {org_members_cmd, org_invitations_cmd, org_invite_cmd, org_revoke_cmd, org_tenant_cmd}) {
    command->add_option("slug", org_args.slug, "Org slug")->required();
  }
  org_invite_cmd->add_option("--email", org_args.email, "Who to invite");
  org_invite_cmd->add_option("--role", org_args.role, "admin or member (default)")->check(CLI::IsMember({"admin", "member"}));
  org_invite_cmd->add_option("--resend", org_args.id, "Send invitation ID again with a new link");
  org_revoke_cmd->add_option("--id", org_args.id, "Invitation ID")->required();
  org_tenant_cmd->add_option("--tenant", org_args.tenant, "Tenant slug")->required();

  auto* demo_cmd = app.add_subcommand("demo", "Seed demo tenants, users and posts (idempotent) and print how to sign in");
  auto* audit_cmd = app.add_subcommand("audit", "The audit log of a tenant or of a user, newest first");
  std::string audit_tenant, audit_user;
  std::size_t audit_limit = 50;
  audit_cmd->add_option("--tenant", audit_tenant, "Tenant slug");
  audit_cmd->add_option("--user", audit_user, "User email");
  audit_cmd->add_option("--limit", audit_limit, "How many entries (default 50)")->check(CLI::Range(1, 1000));

  auto* gen_cmd = app.add_subcommand("gen", "Generate code");
  gen_cmd->require_subcommand(1);
  auto* gen_module_cmd = gen_cmd->add_subcommand("module", "Write a new module project built against the Calyx SDK");
  std::string gen_name, gen_code, gen_description, gen_path = ".";
  gen_module_cmd->add_option("name", gen_name, "Display name, e.g. Helpdesk")->required();
  gen_module_cmd->add_option("--code", gen_code, "Module code (default: from the name), e.g. helpdesk");
  gen_module_cmd->add_option("--description", gen_description, "One line saying what the module does");
  gen_module_cmd->add_option("--path", gen_path, "Directory in which <code>/ is created (default: .)");
  auto* gen_migration_cmd = gen_cmd->add_subcommand("migration", "Add the next numbered migration to a module's source");
  std::string migration_name, migration_module, migration_path;
  gen_migration_cmd->add_option("name", migration_name, "snake_case name, e.g. create_contacts_table")->required();
  gen_migration_cmd->add_option("--module", migration_module, "Module code, e.g. crm")->required();
  gen_migration_cmd->add_option("--path", migration_path,
                                "The module's source directory (default: plugins/<code>, <code> or . — the one "
                                "whose CMakeLists.txt calls calyx_add_module(<code> ...))");

  app.footer("Configuration comes from CALYX_* environment variables; see docs/operations.md.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_cmd->parsed()) return serve(config_file);
  if (migrate_cmd->parsed()) return migrate(config_file);
  if (module_list_cmd->parsed()) return module_list(config_file);
  if (module_enable_cmd->parsed()) return module_enable(config_file, module_code, module_tenant, module_options);
  if (module_disable_cmd->parsed()) return module_disable(config_file, module_code, module_tenant, module_purge);
  if (tenant_create_cmd->parsed()) return tenant_create(config_file, create_args);
  if (tenant_list_cmd->parsed()) return tenant_list(config_file, list_parent);
  if (tenant_show_cmd->parsed()) return tenant_show(config_file, tenant_slug);
  if (tenant_suspend_cmd->parsed()) return tenant_set_status(config_file, tenant_slug, "suspended");
  if (tenant_activate_cmd->parsed()) return tenant_set_status(config_file, tenant_slug, "active");
  if (tenant_deactivate_cmd->parsed()) return tenant_set_status(config_file, tenant_slug, "inactive");
  if (tenant_delete_cmd->parsed()) return tenant_delete(config_file, tenant_slug, tenant_purge, tenant_yes);
  if (token_create_cmd->parsed()) return tenant_token(config_file, "create", tenant_slug, token_name);
  if (token_list_cmd->parsed()) return tenant_token(config_file, "list", tenant_slug, "");
  if (token_revoke_cmd->parsed()) return tenant_token(config_file, "revoke", tenant_slug, token_name);
  if (support_cmd->parsed()) return tenant_support_email(config_file, tenant_slug, support_email);
  if (signup_cmd->parsed()) return tenant_signup(config_file, tenant_slug, signup_state == "on");
  if (member_add_cmd->parsed()) return member_add(config_file, member_args);
  if (member_list_cmd->parsed()) return member_list(config_file, member_args.slug);
  if (member_remove_cmd->parsed()) return member_remove(config_file, member_args.slug, member_args.email);
  for (auto [command, action] : {std::pair{org_create_cmd, "create"}, {org_list_cmd, "list"}, {org_members_cmd, "members"},
                                 {org_invitations_cmd, "invitations"}, {org_invite_cmd, "invite"},
                                 {org_revoke_cmd, "revoke"}, {org_tenant_cmd, "tenant"}}) {
    if (command->parsed()) {
      org_args.action = action;
      if (org_args.action == "invite" && !org_args.id && org_args.email.empty()) return fail("give --email, or --resend ID");
      return org_command(config_file, org_args);
    }
  }
  if (demo_cmd->parsed()) return demo(config_file);
  if (audit_cmd->parsed()) return audit_list(config_file, audit_tenant, audit_user, audit_limit);
  if (user_reset_2fa_cmd->parsed()) return user_reset_two_factor(config_file, user_email);
  if (user_list_cmd->parsed()) return user_list(config_file);
  if (user_create_cmd->parsed()) return user_create(config_file, user_args);
  if (user_suspend_cmd->parsed()) return user_set_status(config_file, user_email, "suspended");
  if (user_activate_cmd->parsed()) return user_set_status(config_file, user_email, "active");
  if (tenant_migrate_cmd->parsed()) return tenant_migrate(config_file, migrate_tenant, migrate_jobs);
  if (gen_module_cmd->parsed()) return gen_module(gen_name, gen_code, gen_description, gen_path);
  if (gen_migration_cmd->parsed()) return gen_migration(migration_name, migration_module, migration_path);
  return fail("no command given");
}

}  // namespace calyx::cli
