// The `calyx` executable.
#include "cli/commands.hpp"

#include <csignal>

int main(int argc, char** argv) {
  // A peer that closes a TLS connection (SMTP) must not kill the process: writes then fail with EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  return calyx::cli::run(argc, argv);
}
