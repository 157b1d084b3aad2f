// The HTTP server: accept loop, one Session object per connection, worker-pool dispatch, graceful stop.
#include "http/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <pthread.h>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace calyx::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class Session;

// Shared by the server and its sessions. Members that sessions touch while being destroyed (mutex,
// sessions) are declared before ioc, so they outlive the handlers ioc destroys.
struct Server::State {
  explicit State(ServerOptions opts, Router r)
      : options(std::move(opts)), router(std::move(r)), workers(std::max(1u, options.worker_threads)) {}

  ServerOptions options;
  Router router;

  std::mutex mutex;
  std::condition_variable changed;
  std::map<Session*, std::weak_ptr<Session>> sessions;  // guarded by mutex
  bool stop_requested = false;                          // guarded by mutex
  bool running = false;                                 // guarded by mutex

  std::atomic<bool> draining{false};
  std::atomic<std::size_t> queued_jobs{0};
  std::uint16_t bound_port = 0;
  std::string id_prefix;
  std::atomic<std::uint64_t> next_id{0};

  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> sweeper;  // closes connections past their deadline (Session::expire_if_late)
  asio::thread_pool workers;
  std::atomic<unsigned> inline_running{0};  // I/O threads inside a blocking handler now
  std::vector<std::thread> threads;

  // A request id: a per-process random prefix plus a counter, short and unique.
  std::string new_request_id() { return fmt::format("{}-{:06x}", id_prefix, next_id.fetch_add(1) + 1); }

  void add(Session* session, std::weak_ptr<Session> weak) {
    std::lock_guard lock(mutex);
    sessions.emplace(session, std::move(weak));
  }
  void remove(Session* session) {
    std::lock_guard lock(mutex);
    sessions.erase(session);
    changed.notify_all();
  }
  // Calls `f` on every open session.
  template <typename F>
  void for_each_session(F&& f) {
    std::vector<std::shared_ptr<Session>> alive;
    {
      std::lock_guard lock(mutex);
      for (auto& [raw, weak] : sessions) {
        if (auto session = weak.lock()) alive.push_back(std::move(session));
      }
    }
    for (auto& session : alive) f(*session);
  }
  void do_accept();
  void sweep();
};

namespace {

// An id a client may choose for its request: short, and safe to put in a log line.
bool is_safe_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Headers every answer carries unless its handler chose otherwise (a theme file's own CSP, say).
constexpr std::pair<std::string_view, std::string_view> kDefaultHeaders[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "same-origin"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; "
     "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
};

// The status line and header fields of `response` as they go on the wire, with Server, X-Request-Id and the
// default headers the response lacks (written here rather than inserted as fields: no allocation each).
std::string serialize_head(const Response& response, std::string_view request_id) {
  std::string_view reason = response.reason();
  if (reason.empty()) reason = bhttp::obsolete_reason(response.result());
  std::string head;
  head.reserve(640);
  head += response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(response.result_int());
  head += ' ';
  head += reason;
  head += "\r\nServer: Calyx\r\nX-Request-Id: ";
  head += request_id;
  head += "\r\n";
  bool present[std::size(kDefaultHeaders)] = {};
  for (const auto& field : response) {
    std::string_view name = field.name_string();
    if (field.name() == bhttp::field::server || beast::iequals(name, "X-Request-Id")) continue;
    for (std::size_t i = 0; i < std::size(kDefaultHeaders); ++i) {
      present[i] = present[i] || beast::iequals(name, kDefaultHeaders[i].first);
    }
    head += field.name_string();
    head += ": ";
    head += field.value();
    head += "\r\n";
  }
  for (std::size_t i = 0; i < std::size(kDefaultHeaders); ++i) {
    if (present[i]) continue;
    head += kDefaultHeaders[i].first;
    head += ": ";
    head += kDefaultHeaders[i].second;
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace

// One HTTP connection: reads requests one after another, hands each to its route, writes the answer.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::State* state) : stream_(std::move(socket)), state_(state) {
    beast::error_code ec;
    auto endpoint = stream_.remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }
  ~Session() { state_->remove(this); }

  // Registers with the server and waits for the first request.
  void start() {
    state_->add(this, weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // Asked by a stopping server: an idle connection closes now, a busy one after its response.
  void shutdown() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->busy_) self->close();
    });
  }

  // Closes the connection whatever it is doing (the drain deadline passed).
  void force_close() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

  // Asked by the server's sweeper: closes the connection if its current deadline has passed. Deadlines are
  // plain numbers the session sets as it goes (no timer per operation: re-arming one costs a syscall and a
  // lock per request); the sweeper looks a few times per timeout.
  void expire_if_late(Clock::time_point now) {
    if (now.time_since_epoch().count() < deadline_.load(std::memory_order_relaxed)) return;
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), now] {
      if (now.time_since_epoch().count() < self->deadline_.load(std::memory_order_relaxed)) return;  // moved on
      self->timed_out_ = true;
      self->close();
    });
  }

 private:
  // Waits (at most the idle timeout) for the first bytes of the next request.
  void wait_for_request() {
    busy_ = false;
    if (closing_) return close();
    if (buffer_.size() > 0) return read_request();
    arm(state_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec || n == 0) return self->close();
      self->read_request();
    });
  }

  // Reads the rest of the request; it must arrive whole within the read timeout.
  void read_request() {
    busy_ = true;
    started_ = Clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    if (parse_buffered()) return;
    arm(state_->options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  // Feeds the parser what the buffer already holds. True when that settled the request (whole, or refused):
  // the usual small request needs no second read operation after the bytes that woke us.
  bool parse_buffered() {
    beast::error_code ec;
    while (buffer_.size() > 0 && !parser_->is_done()) {
      std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more || (!ec && used == 0)) return false;
      if (ec) {
        on_read(ec);
        return true;
      }
    }
    if (!parser_->is_done()) return false;
    on_read({});
    return true;
  }

  void on_read(beast::error_code ec) {
    disarm();  // the request is in (or failed): no deadline while it is handled
    request_id_ = state_->new_request_id();
    if (ec) return on_read_error(ec);
    Request& request = parser_->get();
    if (auto id = request.find("X-Request-Id"); id != request.end() && is_safe_request_id(id->value())) {
      request_id_ = std::string(id->value());
    }
    method_ = std::string(request.method_string());
    target_ = std::string(request.target());
    dispatch_request(request);
  }

  // A request that could not be read whole: answer what can be answered, then close.
  void on_read_error(beast::error_code ec) {
    method_ = parser_->is_header_done() ? std::string(parser_->get().method_string()) : "-";
    target_ = parser_->is_header_done() ? std::string(parser_->get().target()) : "-";
    Request fallback;
    fallback.version(11);
    fallback.keep_alive(false);
    if (ec == bhttp::error::header_limit) {
      return send_error(make_response(fallback, bhttp::status::request_header_fields_too_large,
                                      "Request headers too large\n"));
    }
    if (ec == bhttp::error::body_limit) {
      return send_error(make_response(fallback, bhttp::status::payload_too_large, "Request body too large\n"));
    }
    if (timed_out_) {
      spdlog::info("access {} {} {} {} 408 {}ms (client too slow)", request_id_, remote_, method_, target_,
                   elapsed_ms());
      return close();  // a client that stalls gets no more of our time
    }
    if (ec.category() == beast::error_code(bhttp::error::end_of_stream).category() && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message) {
      return send_error(make_response(fallback, bhttp::status::bad_request, "Malformed request\n"));
    }
    close();  // the peer went away
  }

  void dispatch_request(Request& request) {
    std::string_view target = request.target();
    if (target.empty() || target.front() != '/') {
      return send(make_response(request, bhttp::status::bad_request, "Request target must be an absolute path\n"));
    }
    std::string_view path = target.substr(0, target.find('?'));
    auto match = state_->router.find(request.method(), path);
    if (!match.route && match.allow.empty()) match.route = state_->router.fallback();
    if (!match.route) {
      if (!match.allow.empty()) {
        auto response = make_response(request, bhttp::status::method_not_allowed, "Method not allowed\n");
        response.set(bhttp::field::allow, match.allow);
        return send(std::move(response));
      }
      return send(make_response(request, bhttp::status::not_found, "Not found\n"));
    }
    RequestContext context{request_id_, remote_};
    if (match.route->runs_on_io_thread(request)) return send(run_handler(*match.route, request, context));

    // Blocking work runs here while fewer than `inline_handlers` I/O threads are inside one: no hop to a worker
    // and back (two thread switches per request). The other I/O threads stay free, so a slow handler never
    // stalls every connection; past that, blocking work goes to the worker pool.
    if (state_->inline_running.fetch_add(1) < state_->options.inline_handlers) {
      auto response = run_handler(*match.route, request, context);
      state_->inline_running.fetch_sub(1);
      return send(std::move(response));
    }
    state_->inline_running.fetch_sub(1);
    // Past the queue bound the request is refused, not queued forever.
    if (state_->queued_jobs.fetch_add(1) >= state_->options.max_queued_jobs) {
      state_->queued_jobs.fetch_sub(1);
      auto response = make_response(request, bhttp::status::service_unavailable, "Server busy, retry shortly\n");
      response.set(bhttp::field::retry_after, "1");
      return send(std::move(response));
    }
    asio::post(state_->workers, [self = shared_from_this(), route = match.route, context = std::move(context)] {
      auto response = self->run_handler(*route, self->parser_->get(), context);
      self->state_->queued_jobs.fetch_sub(1);
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->send(std::move(response)); });
    });
  }

  Response run_handler(const Route& route, const Request& request, const RequestContext& context) {
    try {
      return route.handler(request, context);
    } catch (const std::exception& e) {
      spdlog::error("request {} {} {} failed: {}", context.request_id, request.method_string(), request.target(),
                    e.what());
    } catch (...) {
      spdlog::error("request {} {} {} failed with an unknown exception", context.request_id,
                    request.method_string(), request.target());
    }
    return make_response(request, bhttp::status::internal_server_error,
                         fmt::format("Internal server error (request {})\n", context.request_id));
  }

  void send(Response response) { write(std::move(response), false); }
  // An answer to a request we stopped reading: the connection closes after it, lingering to drain input.
  void send_error(Response response) { write(std::move(response), true); }

  void write(Response response, bool error) {
    if (closing_ || error || state_->draining) response.keep_alive(false);
    if (!error && parser_->get().method() == bhttp::verb::head) {
      std::size_t length = response.body().size();
      response.body().clear();
      response.content_length(length);
    }
    response_ = std::make_shared<Response>(std::move(response));
    arm(state_->options.read_timeout);
    // The body is whole in memory: it goes with its length, never chunked. The head goes in one piece, where
    // Beast's serializer hands the kernel several buffers per header field.
    if (response_->chunked()) response_->chunked(false);
    int code = response_->result_int();
    bool bodiless = code / 100 == 1 || code == 204 || code == 304;  // such answers never carry a length
    if (!bodiless && !response_->has_content_length()) response_->content_length(response_->body().size());
    head_ = serialize_head(*response_, request_id_);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(response_->body())};
    asio::async_write(stream_, buffers, [self = shared_from_this(), error](beast::error_code ec, std::size_t) {
      self->on_write(ec, error);
    });
  }

  void on_write(beast::error_code ec, bool error) {
    spdlog::info("access {} {} {} {} {} {}ms", request_id_, remote_, method_, target_, response_->result_int(),
                 elapsed_ms());
    bool keep_alive = response_->keep_alive();
    response_.reset();
    if (ec) return close();
    if (error) return linger();
    if (!keep_alive) return close();
    wait_for_request();
  }

  // After an early error answer, the client may still be sending: read and drop its input for a moment so
  // the close does not reset the connection before the client has read our answer.
  void linger() {
    beast::error_code ignored;
    stream_.shutdown(tcp::socket::shutdown_send, ignored);
    arm(std::chrono::seconds(2));
    discard_.consume(discard_.size());
    stream_.async_read_some(discard_.prepare(64 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ > 16 * 1024 * 1024) return self->close();
      self->linger();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close(ignored);
  }

  long long elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
  }

  // The connection must make progress before this time (steady clock ticks); unarmed while a handler runs.
  void arm(std::chrono::milliseconds timeout) { deadline_.store((Clock::now() + timeout).time_since_epoch().count()); }
  void disarm() { deadline_.store(Clock::time_point::max().time_since_epoch().count()); }

  tcp::socket stream_;
  std::atomic<Clock::rep> deadline_{Clock::time_point::max().time_since_epoch().count()};
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  beast::flat_buffer discard_;
  Server::State* state_;  // outlives every session (see State)
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Response> response_;
  std::string head_;  // the status line and fields of response_, serialized
  std::string remote_, request_id_, method_ = "-", target_ = "-";
  Clock::time_point started_ = Clock::now();
  std::size_t lingered_ = 0;
  bool busy_ = false;     // a request is being read or handled
  bool closing_ = false;  // the server is stopping: no further requests on this connection
};

void Server::State::sweep() {
  // A few looks per timeout: a connection is closed at most an eighth of its timeout late (at least 5 ms apart,
  // at most 250 ms).
  auto interval = std::clamp(std::min(options.read_timeout, options.idle_timeout) / 8, std::chrono::milliseconds(5),
                             std::chrono::milliseconds(250));
  sweeper->expires_after(interval);
  sweeper->async_wait([this](beast::error_code ec) {
    if (ec) return;
    auto now = Clock::now();
    for_each_session([now](Session& session) { session.expire_if_late(now); });
    sweep();
  });
}

void Server::State::do_accept() {
  acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || draining) return;
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), this);
      session->start();
    } else {
      spdlog::warn("accept failed: {}", ec.message());
    }
    do_accept();
  });
}

Server::Server(ServerOptions options, Router router)
    : state_(std::make_shared<State>(std::move(options), std::move(router))) {
  unsigned char prefix[4];
  randombytes_buf(prefix, sizeof prefix);
  state_->id_prefix = fmt::format("{:02x}{:02x}{:02x}{:02x}", prefix[0], prefix[1], prefix[2], prefix[3]);
}

Server::~Server() { stop(); }

Status Server::start() {
  auto& s = *state_;
  beast::error_code ec;
  auto address = asio::ip::make_address(s.options.address, ec);
  if (ec) return Error::invalid_argument(fmt::format("'{}' is not an IP address to listen on", s.options.address));
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.emplace(s.ioc);
  std::string where = fmt::format("{}:{}", s.options.address, s.options.port);
  if (s.acceptor->open(endpoint.protocol(), ec); ec) {
    return Error::unavailable(fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (s.acceptor->bind(endpoint, ec); ec) {
    return Error::unavailable(fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  if (s.acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Error::unavailable(fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  s.bound_port = s.acceptor->local_endpoint().port();
  s.work.emplace(s.ioc.get_executor());
  s.do_accept();
  s.sweeper.emplace(s.ioc);
  s.sweep();
  unsigned threads = s.options.io_threads ? s.options.io_threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    s.threads.emplace_back([&s] {
      pthread_setname_np(pthread_self(), "calyx-io");  // visible in top -H, gdb, and to tests
      s.ioc.run();
    });
  }
  {
    std::lock_guard lock(s.mutex);
    s.running = true;
  }
  spdlog::info("listening on http://{}:{} ({} I/O threads, {} workers)", s.options.address, s.bound_port, threads,
               std::max(1u, s.options.worker_threads));
  return Ok{};
}

std::uint16_t Server::port() const { return state_->bound_port; }

std::size_t Server::open_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->sessions.size();
}

void Server::request_stop() {
  std::lock_guard lock(state_->mutex);
  state_->stop_requested = true;
  state_->changed.notify_all();
}

void Server::run_until_stopped() {
  auto& s = *state_;
  s.signals.emplace(s.ioc, SIGINT, SIGTERM);
  s.signals->async_wait([this](beast::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    request_stop();
  });
  {
    std::unique_lock lock(s.mutex);
    s.changed.wait(lock, [&] { return s.stop_requested; });
  }
  stop();
}

void Server::stop() {
  auto& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (!s.running) return;
    s.running = false;
  }
  s.draining = true;
  asio::post(s.ioc, [&s] {
    beast::error_code ignored;
    s.acceptor->close(ignored);
    if (s.signals) s.signals->cancel(ignored);
    if (s.sweeper) s.sweeper->cancel();
  });
  s.for_each_session([](Session& session) { session.shutdown(); });

  auto deadline = Clock::now() + s.options.shutdown_timeout;
  std::unique_lock lock(s.mutex);
  if (!s.changed.wait_until(lock, deadline, [&] { return s.sessions.empty(); })) {
    spdlog::warn("{} connection(s) still busy after {} ms; closing them", s.sessions.size(),
                 s.options.shutdown_timeout.count());
    lock.unlock();
    s.for_each_session([](Session& session) { session.force_close(); });
    lock.lock();
    s.changed.wait_for(lock, std::chrono::seconds(1), [&] { return s.sessions.empty(); });
  }
  lock.unlock();
  s.work.reset();
  s.workers.join();  // a handler still running is waited for: threads cannot be cancelled safely
  s.ioc.stop();
  for (auto& thread : s.threads) thread.join();
  s.threads.clear();
  spdlog::info("server stopped");
}

}  // namespace calyx::http
