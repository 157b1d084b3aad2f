// Provisioning benchmark driver: creates COUNT tenants in a row through Tenancy (what `calyx tenant create
// --module M` does, without a process start per tenant) and prints the time in ms. The host migrations must
// be applied (calyx migrate).
// With FLOOR_URL and FLOOR_SQL set, it also runs the floor, tenant by tenant in turn with Calyx so that both
// meet the same machine (DDL times here move by 2x within seconds): FLOOR_SQL holds one transaction per
// tenant, each after a line `-- tenant`, sent to FLOOR_URL statement by statement on one session, as
// `psql -f` sends them. It then prints "CALYX_MS FLOOR_MS".
// Usage: provision_bench DATABASE_URL MODULES_DIR PREFIX COUNT MODULE [ISOLATION]
#include <calyx/modules/loader.hpp>
#include <calyx/modules/registry.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace calyx;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point started) {
  return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
}

// The floor script's statements, per tenant: split at `-- tenant` lines, then at semicolons that end a line
// (the script has no function bodies).
std::vector<std::vector<std::string>> floor_statements(const char* path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> tenants;
  std::string line, statement;
  while (std::getline(in, line)) {
    if (line == "-- tenant") {
      tenants.emplace_back();
      continue;
    }
    if (tenants.empty()) continue;
    statement += line + "\n";
    if (!line.empty() && line.back() == ';') tenants.back().push_back(std::exchange(statement, {}));
  }
  return tenants;
}

}  // namespace

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

  const char* floor_url = std::getenv("FLOOR_URL");
  const char* floor_sql = std::getenv("FLOOR_SQL");
  std::vector<std::vector<std::string>> floor;
  std::unique_ptr<PGconn, decltype(&PQfinish)> floor_conn(nullptr, &PQfinish);
  if (floor_url && floor_sql) {
    floor = floor_statements(floor_sql);
    if (static_cast<int>(floor.size()) < count) {
      return std::fprintf(stderr, "%s: fewer than %d tenants\n", floor_sql, count), 1;
    }
    floor_conn.reset(PQconnectdb(floor_url));
    if (PQstatus(floor_conn.get()) != CONNECTION_OK) {
      return std::fprintf(stderr, "floor: %s", PQerrorMessage(floor_conn.get())), 1;
    }
  }

  double calyx_ms = 0, floor_ms = 0;
  for (int i = 1; i <= count; ++i) {
    std::string slug = prefix + std::to_string(i);
    auto started = Clock::now();
    auto created = tenants.create({slug, slug, isolation, {slug + ".localhost"}, "", "", {module}});
    if (!created) return std::fprintf(stderr, "%s: %s\n", slug.c_str(), created.error().message().c_str()), 1;
    calyx_ms += ms_since(started);
    if (!floor_conn) continue;
    started = Clock::now();
    for (const std::string& statement : floor[i - 1]) {
      std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(floor_conn.get(), statement.c_str()), &PQclear);
      auto status = PQresultStatus(result.get());
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        return std::fprintf(stderr, "floor tenant %d: %s", i, PQerrorMessage(floor_conn.get())), 1;
      }
    }
    floor_ms += ms_since(started);
  }
  if (floor_conn) {
    std::printf("%.0f %.0f\n", calyx_ms, floor_ms);
  } else {
    std::printf("%.1f\n", calyx_ms);
  }
  std::fprintf(stderr, "provisioned %d tenants in %.0f ms (%.2f ms per tenant)\n", count, calyx_ms, calyx_ms / count);
  return 0;
}
