// Route table and response helpers.
#include "http/router.hpp"

namespace calyx::http {

void Router::add(bhttp::verb method, std::string path, Runs runs, Handler handler) {
  auto& routes = by_path_[path];
  routes.push_back(Route{method, std::move(path), runs, std::move(handler)});
}

void Router::set_fallback(Runs runs, Handler handler, NeverBlocks never_blocks) {
  fallback_ = Route{bhttp::verb::unknown, "*", runs, std::move(handler), std::move(never_blocks)};
}

Router::Match Router::find(bhttp::verb method, std::string_view path) const {
  Match match;
  auto it = by_path_.find(std::string(path));
  if (it == by_path_.end()) return match;
  bhttp::verb wanted = method == bhttp::verb::head ? bhttp::verb::get : method;
  for (const auto& route : it->second) {
    if (route.method == wanted) {
      match.route = &route;
      return match;
    }
  }
  for (const auto& route : it->second) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += std::string(bhttp::to_string(route.method));
    if (route.method == bhttp::verb::get) match.allow += ", HEAD";
  }
  return match;
}

Response make_response(const Request& request, bhttp::status status, std::string body,
                       std::string_view content_type) {
  Response response{status, request.version()};
  response.set(bhttp::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

}  // namespace calyx::http
