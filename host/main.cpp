// The `calyx` executable.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return calyx::cli::run(argc, argv); }
