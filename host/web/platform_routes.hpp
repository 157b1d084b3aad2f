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

// Adds GET /healthz (never touches the database) and GET /readyz (the database answers within a second).
void add_platform_routes(http::Router& router, db::ConnectionPool& pool);

// The platform's own home page (the base domain's "/"), read from the database: call on a worker thread.
http::Response platform_page(const http::Request& request, db::ConnectionPool& pool, const PlatformInfo& info);

}  // namespace calyx::web
