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
  auto* gen_cmd = app.add_subcommand("gen", "Generate code");
  gen_cmd->require_subcommand(1);
  auto* gen_module_cmd = gen_cmd->add_subcommand("module", "Write a new module project built against the Calyx SDK");
  std::string gen_name, gen_code, gen_description, gen_path = ".";
  gen_module_cmd->add_option("name", gen_name, "Display name, e.g. Helpdesk")->required();
  gen_module_cmd->add_option("--code", gen_code, "Module code (default: from the name), e.g. helpdesk");
  gen_module_cmd->add_option("--description", gen_description, "One line saying what the module does");
  gen_module_cmd->add_option("--path", gen_path, "Directory in which <code>/ is created (default: .)");

  app.footer("Configuration comes from CALYX_* environment variables; see docs/operations.md.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_cmd->parsed()) return serve(config_file);
  if (migrate_cmd->parsed()) return migrate(config_file);
  if (module_list_cmd->parsed()) return module_list(config_file);
  if (gen_module_cmd->parsed()) return gen_module(gen_name, gen_code, gen_description, gen_path);
  return fail("no command given");
}

}  // namespace calyx::cli
