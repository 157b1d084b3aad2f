// The host's own HTTP endpoints: liveness (/healthz), readiness (/readyz) and the platform home page.
// Thread-safety: the handlers share only the pool, which is thread-safe.
#pragma once

#include "http/router.hpp"

#include <calyx/db/pool.hpp>

#include <string>

namespace calyx::web {

struct PlatformInfo {
  std::string version;
  std::string base_domain;
};

// Adds GET /healthz (never touches the database), GET /readyz (the database answers within a second)
// and GET / (the platform page, read from the database on a worker thread).
void add_platform_routes(http::Router& router, db::ConnectionPool& pool, PlatformInfo info);

}  // namespace calyx::web
