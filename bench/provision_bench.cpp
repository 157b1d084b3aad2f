// Provisioning benchmark driver: creates COUNT tenants in a row through Tenancy (what `calyx tenant create
// --module M` does, without a process start per tenant) and prints the time. The host migrations must be
// applied (calyx migrate). Usage: provision_bench DATABASE_URL MODULES_DIR PREFIX COUNT MODULE [ISOLATION]
#include <calyx/modules/loader.hpp>
#include <calyx/modules/registry.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <string>

using namespace calyx;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s DATABASE_URL MODULES_DIR PREFIX COUNT MODULE [ISOLATION]\n", argv[0]);
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  auto url = db::DatabaseUrl::parse(argv[1]);
  if (!url) return std::fprintf(stderr, "%s\n", url.error().message().c_str()), 1;
  auto pool = db::ConnectionPool::open(*url);
  if (!pool) return std::fprintf(stderr, "%s\n", pool.error().message().c_str()), 1;
  modules::ModuleLoader loader(modules::host_api());
  auto registry = modules::ModuleRegistry::build(loader.discover(argv[2]));
  tenancy::TenancyOptions options;
  options.sqlite_directory = "var/tenants";
  tenancy::Tenancy tenants(**pool, options, registry);
  std::string prefix = argv[3], module = argv[5];
  int count = std::stoi(argv[4]);
  auto isolation = tenancy::parse_isolation(argc > 6 ? argv[6] : "isolated").value();

  auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= count; ++i) {
    std::string slug = prefix + std::to_string(i);
    auto created = tenants.create({slug, slug, isolation, {slug + ".localhost"}, "", "", {module}});
    if (!created) return std::fprintf(stderr, "%s: %s\n", slug.c_str(), created.error().message().c_str()), 1;
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::printf("%.1f\n", ms);
  std::fprintf(stderr, "provisioned %d tenants in %.0f ms (%.2f ms per tenant)\n", count, ms, ms / count);
  return 0;
}
