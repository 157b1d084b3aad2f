// Liveness, readiness and the platform home page.
#include "web/platform_routes.hpp"

#include <calyx/templates/template.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <soci/soci.h>

namespace calyx::web {
namespace {

constexpr std::string_view kJson = "application/json";

std::string json(boost::json::object object) { return boost::json::serialize(object); }

// The platform's display name, from calyx_platform_settings (migration 0001).
std::string platform_name(db::ConnectionPool& pool) {
  auto lease = pool.acquire();
  if (!lease) throw std::runtime_error(lease.error().message());
  std::string name;
  soci::indicator indicator = soci::i_null;
  lease->session() << "SELECT value FROM calyx_platform_settings WHERE key = 'platform_name'",
      soci::into(name, indicator);
  return indicator == soci::i_ok ? name : "Calyx";
}

}  // namespace

void add_platform_routes(http::Router& router, db::ConnectionPool& pool) {
  using http::bhttp::verb;
  router.add(verb::get, "/healthz", http::Runs::on_io_thread, [](const http::Request& request, const auto&) {
    return http::make_response(request, http::bhttp::status::ok, json({{"status", "ok"}}), kJson);
  });

  router.add(verb::get, "/readyz", http::Runs::on_worker, [&pool](const http::Request& request, const auto&) {
    auto ready = pool.ping(std::chrono::seconds(1));
    if (ready) {
      return http::make_response(request, http::bhttp::status::ok,
                                 json({{"status", "ready"}, {"database", db::to_string(pool.backend())}}), kJson);
    }
    auto response = http::make_response(
        request, http::bhttp::status::service_unavailable,
        json({{"status", "unavailable"}, {"database", db::to_string(pool.backend())}, {"error", ready.error().message()}}),
        kJson);
    response.set(http::bhttp::field::retry_after, "5");
    return response;
  });
}

http::Response platform_page(const http::Request& request, db::ConnectionPool& pool, const PlatformInfo& info) {
    std::string name = templates::escape_html(platform_name(pool));
    std::string body = fmt::format(
        R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{0}</title></head>
<body><main><h1>{0}</h1>
<p>Calyx {1} is running on {2}. Tenant workspaces are served at <code>&lt;slug&gt;.{3}</code>.</p>
<p><a href="/readyz">Readiness</a> · <a href="/healthz">Health</a></p></main></body></html>
)",
        name, templates::escape_html(info.version), db::to_string(pool.backend()), templates::escape_html(info.base_domain));
    return http::make_response(request, http::bhttp::status::ok, std::move(body), "text/html; charset=utf-8");
}

}  // namespace calyx::web
