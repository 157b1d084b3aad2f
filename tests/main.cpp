// The test runner: doctest's main, with the host's logging turned down to warnings so that the report stays
// readable (tests that read the log install their own sink).
#define DOCTEST_CONFIG_IMPLEMENT
#include <csignal>
#include <doctest/doctest.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  std::signal(SIGPIPE, SIG_IGN);  // as calyx's own main does: closed TLS peers give EPIPE, not death
  spdlog::set_level(spdlog::level::warn);
  doctest::Context context(argc, argv);
  return context.run();
}
