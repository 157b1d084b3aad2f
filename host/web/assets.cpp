// The embedded browser assets and conditional GETs.
#include "web/assets.hpp"

#include "web/session_forms.hpp"

#include <calyx/digest.hpp>
#include <calyx/embedded_file.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <vector>

std::vector<calyx::EmbeddedFile> calyx_web_asset_files();  // generated (host/CMakeLists.txt)

namespace calyx::web {
namespace {

std::string type_of(std::string_view name) {
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".json")) return "application/json";
  return "application/octet-stream";
}


}  // namespace

http::Response cacheable_response(const http::Request& request, std::string_view body, std::string_view content_type,
                                  std::string_view etag, bool immutable) {
  std::string tag = fmt::format("\"{}\"", etag);
  bool fresh = request[http::bhttp::field::if_none_match] == tag;
  auto response = http::make_response(request, fresh ? http::bhttp::status::not_modified : http::bhttp::status::ok,
                                      fresh ? std::string() : std::string(body), std::string(content_type));
  response.set(http::bhttp::field::etag, tag);
  response.set(http::bhttp::field::cache_control, immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (fresh) response.body().clear();
  return response;
}

const Assets& Assets::instance() {
  static const Assets assets;
  return assets;
}

Assets::Assets() {
  for (const auto& file : calyx_web_asset_files()) {
    if (file.name == "icons.json") {
      boost::system::error_code ec;
      auto parsed = boost::json::parse(file.content, ec);
      if (ec || !parsed.is_object()) {
        spdlog::error("the embedded icons.json is not a JSON object: icons will be missing");
        continue;
      }
      for (const auto& [name, svg] : parsed.as_object()) {
        if (svg.is_string()) icons_.emplace(std::string(name), std::string(svg.as_string()));
      }
      continue;
    }
    files_.emplace(std::string(file.name), File{file.content, type_of(file.name), hex_digest(file.content, 8)});
  }
}

std::string Assets::url(std::string_view name) const {
  auto it = files_.find(name);
  return it == files_.end() ? fmt::format("/assets/{}", name) : fmt::format("/assets/{}?v={}", name, it->second.hash);
}

http::Response Assets::serve(const http::Request& request, std::string_view name) const {
  auto it = files_.find(name);
  if (it == files_.end()) {
    return http::make_response(request, http::bhttp::status::not_found, "no such asset\n", "text/plain; charset=utf-8");
  }
  bool versioned = session_forms::query_field(request, "v") == it->second.hash;
  return cacheable_response(request, it->second.content, it->second.content_type, it->second.hash, versioned);
}

void add_asset_routes(http::Router& router) {
  for (const auto& file : calyx_web_asset_files()) {
    if (file.name == "icons.json") continue;  // served inside pages, not as a file
    std::string name(file.name);
    router.add(http::bhttp::verb::get, "/assets/" + name, http::Runs::on_io_thread,
               [name](const http::Request& request, const http::RequestContext&) {
                 return Assets::instance().serve(request, name);
               });
  }
}

std::string_view Assets::icon(std::string_view name) const {
  if (name.starts_with("hero-")) name.remove_prefix(5);
  auto it = icons_.find(name);
  return it == icons_.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace calyx::web
