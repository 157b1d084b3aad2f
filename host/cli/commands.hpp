// The `calyx` command line: parsing (CLI11) and one function per command.
// Thread-safety: run() is called once, from main.
#pragma once

#include <string>

namespace calyx::cli {

// Parses argv and runs the command; returns the process exit code.
int run(int argc, char** argv);

int serve(const std::string& config_file);
int migrate(const std::string& config_file);
int module_list(const std::string& config_file);
int gen_module(const std::string& name, std::string code, const std::string& description, const std::string& path);

}  // namespace calyx::cli
