// The HTTP server in-process: health endpoints on both backends, request limits, slow clients, worker-pool
// dispatch, errors in handlers, the access log, and the graceful stop.
#include "cli/host_migrations.hpp"
#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"
#include "web/platform_routes.hpp"

#include <calyx/migrations/migrator.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <thread>

using namespace calyx;
using calyx::testing::HttpConnection;
using calyx::testing::http_request;
using calyx::testing::TestDatabase;
namespace bhttp = boost::beast::http;

namespace {

http::ServerOptions test_options() {
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.io_threads = 2;
  options.worker_threads = 2;
  options.max_header_bytes = 4096;
  options.max_body_bytes = 1024;
  options.read_timeout = std::chrono::milliseconds(500);
  options.idle_timeout = std::chrono::milliseconds(2000);
  options.shutdown_timeout = std::chrono::milliseconds(3000);
  return options;
}

// A server with the platform routes on `database` (host migrations applied) plus the test's own routes.
struct RunningServer {
  RunningServer(TestDatabase& database, const std::function<void(http::Router&)>& extra = {},
                http::ServerOptions options = test_options()) {
    pool = database.open_pool();
    auto files = calyx_host_migration_files();
    auto known = migrations::parse_migration_files(files);
    REQUIRE(known.ok());
    REQUIRE(migrations::Migrator(*pool, migrations::Scope{}).apply(*known).ok());
    http::Router router;
    web::add_platform_routes(router, *pool);
    router.add(bhttp::verb::get, "/", http::Runs::on_worker, [this](const http::Request& request, auto&) {
      return web::platform_page(request, *pool, {"9.9.9", "example.test"});
    });
    if (extra) extra(router);
    server = std::make_unique<http::Server>(options, std::move(router));
    REQUIRE(server->start().ok());
  }
  ~RunningServer() { server->stop(); }
  std::uint16_t port() const { return server->port(); }

  std::unique_ptr<db::ConnectionPool> pool;
  std::unique_ptr<http::Server> server;
};

// False on the server's own I/O threads (named calyx-io), true on its workers.
bool asio_worker_thread() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return std::string_view(name) != "calyx-io";
}

http::Response text(const http::Request& request, std::string body) {
  return http::make_response(request, bhttp::status::ok, std::move(body));
}

}  // namespace

TEST_CASE("GET /healthz answers 200 without touching the database") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);
  auto response = http_request(running.port(), "GET", "/healthz");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == R"({"status":"ok"})");
  CHECK(response->headers["content-type"] == "application/json");
  CHECK(response->headers["x-content-type-options"] == "nosniff");
  CHECK(response->headers["content-security-policy"].find("default-src 'self'") != std::string::npos);
}

TEST_CASE("GET /readyz is 200 while the database answers and 503 once it is gone") {
  SUBCASE("sqlite: the database file is removed") {
    TestDatabase database(db::Backend::sqlite);
    RunningServer running(database);
    auto ready = http_request(running.port(), "GET", "/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    CHECK(ready->body == R"({"status":"ready","database":"sqlite"})");

    std::filesystem::remove(database.url().path);
    auto gone = http_request(running.port(), "GET", "/readyz");
    REQUIRE(gone);
    CHECK(gone->status == 503);
    CHECK(gone->body.find("is gone") != std::string::npos);
    CHECK(gone->headers["retry-after"] == "5");
  }
  SUBCASE("postgresql: the database is dropped") {
    if (!testing::postgres_admin_url()) return;
    TestDatabase database(db::Backend::postgresql);
    RunningServer running(database);
    auto ready = http_request(running.port(), "GET", "/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    CHECK(ready->body == R"({"status":"ready","database":"postgresql"})");

    database.drop_now();
    auto gone = http_request(running.port(), "GET", "/readyz");
    REQUIRE(gone);
    CHECK(gone->status == 503);
    CHECK(gone->body.find(R"("status":"unavailable")") != std::string::npos);
  }
}

TEST_CASE("the platform page is read from the database on both backends") {
  testing::every_backend([](TestDatabase& database) {
    RunningServer running(database);
    {
      auto lease = running.pool->acquire();
      lease->session() << "UPDATE calyx_platform_settings SET value = '<Acme & Co>' WHERE key = 'platform_name'";
    }
    auto response = http_request(running.port(), "GET", "/");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->headers["content-type"] == "text/html; charset=utf-8");
    CHECK(response->body.find("<h1>&lt;Acme &amp; Co&gt;</h1>") != std::string::npos);
    CHECK(response->body.find("<slug>") == std::string::npos);
  });
}

TEST_CASE("an oversized header gets 431 and an oversized body 413") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);

  auto big_header = http_request(running.port(), "GET", "/healthz", "X-Big: " + std::string(8000, 'a') + "\r\n");
  REQUIRE(big_header);
  CHECK(big_header->status == 431);

  auto big_body = http_request(running.port(), "POST", "/healthz", "", std::string(5000, 'b'));
  REQUIRE(big_body);
  CHECK(big_body->status == 413);

  // A chunked body says nothing of its size up front: the limit applies as it arrives.
  HttpConnection chunked(running.port());
  std::string chunk(1000, 'c');
  chunked.send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 3; ++i) chunked.send("3e8\r\n" + chunk + "\r\n");
  auto response = chunked.read_response();
  REQUIRE(response);
  CHECK(response->status == 413);
}

TEST_CASE("a malformed request gets 400 and unknown routes 404 or 405") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);
  HttpConnection garbage(running.port());
  garbage.send("THIS IS NOT HTTP\r\n\r\n");
  auto bad = garbage.read_response();
  REQUIRE(bad);
  CHECK(bad->status == 400);

  auto missing = http_request(running.port(), "GET", "/no/such/page");
  REQUIRE(missing);
  CHECK(missing->status == 404);

  auto wrong_method = http_request(running.port(), "DELETE", "/healthz");
  REQUIRE(wrong_method);
  CHECK(wrong_method->status == 405);
  CHECK(wrong_method->headers["allow"] == "GET, HEAD");

  auto not_origin_form = http_request(running.port(), "GET", "http://evil.test/healthz");
  REQUIRE(not_origin_form);
  CHECK(not_origin_form->status == 400);
}

TEST_CASE("a slow client is cut off after the read timeout") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);
  SUBCASE("headers that never finish") {
    HttpConnection slow(running.port());
    slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    auto started = std::chrono::steady_clock::now();
    CHECK(slow.closed_by_peer(std::chrono::seconds(5)));
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(400));
  }
  SUBCASE("a byte at a time") {
    HttpConnection trickle(running.port());
    std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(40, 'p') + "\r\n\r\n";
    bool cut = false;
    for (char c : request) {
      if (!trickle.send(std::string(1, c))) {
        cut = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK((cut || trickle.closed_by_peer(std::chrono::seconds(2))));
  }
  // The server is still fine for everyone else.
  auto response = http_request(running.port(), "GET", "/healthz");
  REQUIRE(response);
  CHECK(response->status == 200);
}

TEST_CASE("keep-alive serves several requests on one connection, HEAD without a body") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);
  HttpConnection connection(running.port());
  for (int i = 0; i < 3; ++i) {
    connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto response = connection.read_response();
    REQUIRE(response);
    CHECK(response->status == 200);
  }
  connection.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = connection.read_response(std::chrono::seconds(5), /*expect_body=*/false);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->headers["content-length"] == "15");
  // Had the HEAD answer carried body bytes, they would now garble the next response.
  connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto after = connection.read_response();
  REQUIRE(after);
  CHECK(after->status == 200);
  CHECK(after->body == R"({"status":"ok"})");
}

TEST_CASE("pipelined requests are answered in order; an idle connection closes after the idle timeout") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);
  HttpConnection connection(running.port());
  // Three requests in one packet: all three are in the buffer after the first read.
  connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\n\r\n");
  auto first = connection.read_response();
  auto second = connection.read_response();
  auto third = connection.read_response();
  REQUIRE((first && second && third));
  CHECK(first->status == 200);
  CHECK(second->status == 404);
  CHECK(third->status == 200);
  CHECK(third->headers["x-request-id"] == "third");
  CHECK(third->headers["server"] == "Calyx");
  CHECK(third->headers["content-security-policy"].find("frame-ancestors 'none'") != std::string::npos);
  // Then nothing: the idle timeout (2 s here) closes the connection, not earlier than the read timeout would.
  auto idle_since = std::chrono::steady_clock::now();
  CHECK(connection.closed_by_peer(std::chrono::seconds(5)));
  CHECK(std::chrono::steady_clock::now() - idle_since >= std::chrono::milliseconds(1500));
}

TEST_CASE("a handler slower than the read timeout still answers; bodiless statuses carry no length") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database, [&](http::Router& router) {
    router.add(bhttp::verb::get, "/slow", http::Runs::on_worker, [](const http::Request& request, auto&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(900));  // the read timeout is 500 ms
      return text(request, "late but whole");
    });
    router.add(bhttp::verb::get, "/unchanged", http::Runs::on_io_thread, [](const http::Request& request, auto&) {
      http::Response response{bhttp::status::not_modified, request.version()};
      response.set(bhttp::field::etag, "\"v1\"");
      response.set("Content-Security-Policy", "default-src 'none'");
      return response;
    });
  });
  HttpConnection connection(running.port());
  connection.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  auto slow = connection.read_response(std::chrono::seconds(5));
  REQUIRE(slow);
  CHECK(slow->body == "late but whole");
  connection.send("GET /unchanged HTTP/1.1\r\nHost: x\r\n\r\n");
  auto unchanged = connection.read_response(std::chrono::seconds(5), /*expect_body=*/false);
  REQUIRE(unchanged);
  CHECK(unchanged->status == 304);
  CHECK(unchanged->headers.count("content-length") == 0);
  CHECK(unchanged->headers["content-security-policy"] == "default-src 'none'");  // the handler's own, not the default
  connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");  // and the connection is still in step
  auto after = connection.read_response();
  REQUIRE(after);
  CHECK(after->body == R"({"status":"ok"})");
}

TEST_CASE("a client's request id is kept when safe and replaced when not") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);
  auto kept = http_request(running.port(), "GET", "/healthz", "X-Request-Id: abc-123\r\n");
  REQUIRE(kept);
  CHECK(kept->headers["x-request-id"] == "abc-123");
  auto replaced = http_request(running.port(), "GET", "/healthz", "X-Request-Id: <script>\r\n");
  REQUIRE(replaced);
  CHECK(replaced->headers["x-request-id"] != "<script>");
  CHECK(replaced->headers["x-request-id"].size() >= 10);
}

TEST_CASE("each request writes one access-log line with id, method, path, status and duration") {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::info);
  {
    TestDatabase database(db::Backend::sqlite);
    RunningServer running(database);
    auto response = http_request(running.port(), "GET", "/healthz?probe=1", "X-Request-Id: log-check-1\r\n");
    REQUIRE(response);
  }
  spdlog::set_default_logger(previous);
  int lines = 0;
  for (const auto& line : sink->last_formatted()) {
    if (line.find("access log-check-1 127.0.0.1 GET /healthz?probe=1 200 ") != std::string::npos &&
        line.find("ms") != std::string::npos) {
      ++lines;
    }
  }
  CHECK(lines == 1);
}

TEST_CASE("a blocking handler runs on a worker and does not stall other connections") {
  TestDatabase database(db::Backend::sqlite);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  RunningServer running(database, [&](http::Router& router) {
    router.add(bhttp::verb::get, "/block", http::Runs::on_worker, [released](const http::Request& request, auto&) {
      released.wait();
      return text(request, "unblocked");
    });
  });
  HttpConnection blocked_a(running.port()), blocked_b(running.port());
  blocked_a.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  blocked_b.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Both workers are stuck and yet the I/O threads answer.
  auto health = http_request(running.port(), "GET", "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  release.set_value();
  auto a = blocked_a.read_response();
  REQUIRE(a);
  CHECK(a->body == "unblocked");
}

TEST_CASE("with inline handlers, one I/O thread runs a blocking handler itself and the other stays free") {
  TestDatabase database(db::Backend::sqlite);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> on_workers{0}, inline_calls{0};
  auto options = test_options();
  options.inline_handlers = 1;
  RunningServer running(database, [&](http::Router& router) {
    router.add(bhttp::verb::get, "/block", http::Runs::on_worker, [&, released](const http::Request& request, auto&) {
      bool worker = asio_worker_thread();
      (worker ? on_workers : inline_calls)++;
      released.wait();
      return text(request, "unblocked");
    });
  }, options);
  HttpConnection blocked_a(running.port()), blocked_b(running.port()), blocked_c(running.port());
  for (auto* connection : {&blocked_a, &blocked_b, &blocked_c}) connection->send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  // One request is served inline, the others went to the two workers; the second I/O thread still answers.
  auto health = http_request(running.port(), "GET", "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(inline_calls == 1);
  CHECK(on_workers == 2);
  release.set_value();
  for (auto* connection : {&blocked_a, &blocked_b, &blocked_c}) CHECK(connection->read_response()->body == "unblocked");
}

TEST_CASE("requests a blocking route vouches for run on the I/O thread; the rest go to the workers") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database, [&](http::Router& router) {
    router.set_fallback(
        http::Runs::on_worker,
        [](const http::Request& request, auto&) { return text(request, asio_worker_thread() ? "worker" : "io"); },
        [](const http::Request& request) { return request.target() == "/quick"; });
  });
  CHECK(http_request(running.port(), "GET", "/quick")->body == "io");
  CHECK(http_request(running.port(), "GET", "/slow")->body == "worker");
}

TEST_CASE("when the worker queue is full a request gets 503 instead of waiting forever") {
  TestDatabase database(db::Backend::sqlite);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto options = test_options();
  options.worker_threads = 1;
  options.max_queued_jobs = 1;
  RunningServer running(
      database,
      [&](http::Router& router) {
        router.add(bhttp::verb::get, "/block", http::Runs::on_worker, [released](const http::Request& request, auto&) {
          released.wait();
          return text(request, "done");
        });
      },
      options);
  HttpConnection first(running.port());
  first.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto refused = http_request(running.port(), "GET", "/block");
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->headers["retry-after"] == "1");
  release.set_value();
  CHECK(first.read_response()->status == 200);
}

TEST_CASE("a handler that throws gives a 500 for that request only") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database, [](http::Router& router) {
    router.add(bhttp::verb::get, "/boom", http::Runs::on_worker,
               [](const http::Request&, auto&) -> http::Response { throw std::runtime_error("kaput"); });
  });
  auto boom = http_request(running.port(), "GET", "/boom");
  REQUIRE(boom);
  CHECK(boom->status == 500);
  CHECK(boom->body.find("kaput") == std::string::npos);  // internals stay in the log
  CHECK(boom->body.find(boom->headers["x-request-id"]) != std::string::npos);
  CHECK(http_request(running.port(), "GET", "/healthz")->status == 200);
}

TEST_CASE("stop() lets an in-flight request finish, closes idle connections and refuses new ones") {
  TestDatabase database(db::Backend::sqlite);
  std::promise<void> entered;
  RunningServer running(database, [&](http::Router& router) {
    router.add(bhttp::verb::get, "/slow", http::Runs::on_worker, [&entered](const http::Request& request, auto&) {
      entered.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      return text(request, "finished");
    });
  });
  std::uint16_t port = running.port();
  HttpConnection idle(port);
  HttpConnection busy(port);
  busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  entered.get_future().wait();

  auto stopping = std::async(std::launch::async, [&] { running.server->stop(); });
  CHECK(idle.closed_by_peer(std::chrono::seconds(2)));
  auto response = busy.read_response();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "finished");
  CHECK(response->headers["connection"] == "close");
  stopping.get();
  CHECK(running.server->open_connections() == 0);
  CHECK_THROWS(HttpConnection(port));
}

TEST_CASE("starting on an address in use fails with a message naming it") {
  TestDatabase database(db::Backend::sqlite);
  RunningServer running(database);
  auto options = test_options();
  options.port = running.port();
  http::Server second(options, http::Router{});
  auto started = second.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().message().find("cannot listen on 127.0.0.1:" + std::to_string(running.port())) !=
        std::string::npos);
}
