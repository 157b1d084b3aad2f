// The host's HTTP routing table: method + exact path → handler, plus where the handler may run.
// Handlers that may block (anything touching the database) run on the worker pool, never on an I/O thread.
// Thread-safety: built before the server starts, then read-only (lookups take no lock).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace calyx::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// What a handler knows of the request beyond the message itself.
struct RequestContext {
  std::string request_id;
  std::string remote_address;
};

enum class Runs {
  on_io_thread,  // cheap and never blocks (e.g. /healthz)
  on_worker,     // may block: runs on the worker pool
};

using Handler = std::function<Response(const Request&, const RequestContext&)>;
// Says, from the request alone and cheaply, that an on_worker handler will not block for this request.
using NeverBlocks = std::function<bool(const Request&)>;

struct Route {
  bhttp::verb method;
  std::string path;
  Runs runs;
  Handler handler;
  NeverBlocks never_blocks = {};  // on_worker routes: requests it approves run on the I/O thread

  bool runs_on_io_thread(const Request& request) const {
    return runs == Runs::on_io_thread || (never_blocks && never_blocks(request));
  }
};

class Router {
 public:
  void add(bhttp::verb method, std::string path, Runs runs, Handler handler);

  struct Match {
    const Route* route = nullptr;  // the handler, or null
    std::string allow;             // when null but the path exists: the methods it accepts (for 405)
  };
  // HEAD is answered by the GET route (the server drops the body).
  Match find(bhttp::verb method, std::string_view path) const;

  // The handler of every request no route matches (the tenant front); without one they get 404.
  void set_fallback(Runs runs, Handler handler, NeverBlocks never_blocks = {});
  const Route* fallback() const { return fallback_ ? &*fallback_ : nullptr; }

 private:
  std::unordered_map<std::string, std::vector<Route>> by_path_;
  std::optional<Route> fallback_;
};

// A response with `status`, a body and its content type, keep-alive as the request asked.
Response make_response(const Request& request, bhttp::status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");

}  // namespace calyx::http
