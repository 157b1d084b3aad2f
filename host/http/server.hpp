// The HTTP/1.1 server: one io_context run by N I/O threads, a worker pool for handlers that may block,
// request limits (header and body size, read and idle timeouts), an access-log line per request, and a
// graceful stop that finishes in-flight requests (bounded) before returning.
// Thread-safety: start() and stop() from one controlling thread; request_stop() from any thread or a
// signal handler context (it only posts).
#pragma once

#include "http/router.hpp"

#include <calyx/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace calyx::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 4000;  // 0: any free port; see Server::port()
  unsigned io_threads = 0;    // 0: one per core
  unsigned worker_threads = 4;
  // How many I/O threads may run a blocking (on_worker) handler themselves at once; keep it below io_threads
  // so that one always serves other connections. 0: every blocking handler goes to the workers.
  unsigned inline_handlers = 0;
  std::size_t max_queued_jobs = 1024;  // worker jobs waiting beyond this get 503
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{30000};  // a whole request must arrive within this
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connection with no request
  std::chrono::milliseconds shutdown_timeout{10000};
};

class Server {
 public:
  Server(ServerOptions options, Router router);
  ~Server();  // stops if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Fails with a message naming the address (e.g. in use).
  Status start();

  // The port actually bound (useful with port 0).
  std::uint16_t port() const;

  // Stops accepting, closes idle connections, lets in-flight requests finish (at most shutdown_timeout),
  // then joins every thread. Idempotent. Must not be called from a handler.
  void stop();

  // Blocks until SIGINT or SIGTERM arrives or request_stop() is called, then stop()s.
  void run_until_stopped();
  void request_stop();

  // Connections currently open.
  std::size_t open_connections() const;

  struct State;  // shared with sessions (server.cpp)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace calyx::http
