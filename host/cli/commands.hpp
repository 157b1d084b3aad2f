// The `calyx` command line: parsing (CLI11) and one function per command.
// Thread-safety: run() is called once, from main.
#pragma once

#include <string>
#include <vector>

namespace calyx::cli {

// Parses argv and runs the command; returns the process exit code.
int run(int argc, char** argv);

int serve(const std::string& config_file);
int migrate(const std::string& config_file);
int module_list(const std::string& config_file);
struct TenantCreateArgs {
  std::string slug, name, isolation = "isolated", parent, db_config;
  std::vector<std::string> domains, modules;
};
int tenant_create(const std::string& config_file, const TenantCreateArgs& args);
int tenant_list(const std::string& config_file, const std::string& parent);
int tenant_show(const std::string& config_file, const std::string& slug);
int tenant_set_status(const std::string& config_file, const std::string& slug, const std::string& status);
int tenant_delete(const std::string& config_file, const std::string& slug, bool purge, bool yes);
int module_enable(const std::string& config_file, const std::string& code, const std::string& slug,
                  const std::string& options);
int module_disable(const std::string& config_file, const std::string& code, const std::string& slug, bool purge);
struct UserCreateArgs {
  std::string email, name;
  bool platform_admin = false, password_stdin = false;
};
struct MemberArgs {
  std::string slug, email, role;  // role empty: member for a new member, unchanged otherwise
  std::vector<std::string> module_roles, prohibited;
};
int tenant_support_email(const std::string& config_file, const std::string& slug, const std::string& email);
int tenant_signup(const std::string& config_file, const std::string& slug, bool allowed);
struct OrgArgs {
  std::string action, slug, name, email, role = "member", tenant;
  std::int64_t id = 0;
};
int org_command(const std::string& config_file, const OrgArgs& args);
int audit_list(const std::string& config_file, const std::string& tenant_slug, const std::string& email, std::size_t limit);
int demo(const std::string& config_file);
int user_list(const std::string& config_file);
int user_create(const std::string& config_file, const UserCreateArgs& args);
int user_reset_two_factor(const std::string& config_file, const std::string& email);
int user_set_status(const std::string& config_file, const std::string& email, const std::string& status);
int member_add(const std::string& config_file, const MemberArgs& args);
int member_list(const std::string& config_file, const std::string& slug);
int member_remove(const std::string& config_file, const std::string& slug, const std::string& email);
int tenant_token(const std::string& config_file, const std::string& action, const std::string& slug,
                 const std::string& name);
int tenant_migrate(const std::string& config_file, const std::string& slug, unsigned jobs);
int gen_migration(const std::string& name, const std::string& code, const std::string& path);
int gen_module(const std::string& name, std::string code, const std::string& description, const std::string& path);

}  // namespace calyx::cli
