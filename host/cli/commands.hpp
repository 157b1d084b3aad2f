// The `calyx` command line: the commands and their wiring to core and the server.
// Thread-safety: run() is called once, from main.
#pragma once

namespace calyx::cli {

// Parses argv and runs the command; returns the process exit code.
int run(int argc, char** argv);

}  // namespace calyx::cli
