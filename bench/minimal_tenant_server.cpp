// The floor of the request-path benchmark: a minimal Boost.Beast server. It loads Host → schema from
// calyx_tenants once, and for each request runs the same 50-row query in that tenant's schema on its I/O
// thread's own connection, answering JSON. No router, no pool, no module, no security headers. DRIVER is
// `soci` (the floor the tenancy issue names: Beast + SOCI, one bulk one-time query) or `libpq` (default: the
// C client directly, a stricter floor).
// Usage: minimal_tenant_server ADDRESS PORT THREADS CONNINFO BASE_DOMAIN [DRIVER]
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string conninfo;
bool use_soci = false;
std::map<std::string, std::string, std::less<>> schema_by_host;

PGconn* thread_connection() {
  thread_local std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  return conn.get();
}

std::string json_escape(const char* text) {
  std::string out;
  for (const char* p = text; *p; ++p) {
    if (*p == '"' || *p == '\\') out += '\\';
    out += *p;
  }
  return out;
}

std::string entries_soci(const std::string& sql) {
  thread_local soci::session session(soci::postgresql, conninfo);
  std::vector<long long> ids(50), amounts(50);
  std::vector<std::string> titles(50);
  session << sql, soci::into(ids), soci::into(titles), soci::into(amounts);
  std::string out = "[";
  for (std::size_t row = 0; row < ids.size(); ++row) {
    out += std::string(row ? "," : "") + "{\"id\":" + std::to_string(ids[row]) + ",\"title\":\"" +
           json_escape(titles[row].c_str()) + "\",\"amount\":" + std::to_string(amounts[row]) + "}";
  }
  return out + "]";
}

std::string entries(std::string_view host) {
  auto it = schema_by_host.find(host.substr(0, host.find(':')));
  if (it == schema_by_host.end()) return {};
  std::string sql = "SELECT id, title, amount FROM \"" + it->second + "\".entries ORDER BY id LIMIT 50";
  if (use_soci) return entries_soci(sql);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexecParams(thread_connection(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), &PQclear);
  std::string out = "[";
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    out += std::string(row ? "," : "") + "{\"id\":" + PQgetvalue(result.get(), row, 0) + ",\"title\":\"" +
           json_escape(PQgetvalue(result.get(), row, 1)) + "\",\"amount\":" + PQgetvalue(result.get(), row, 2) + "}";
  }
  return out + "]";
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}
  void start() { read(); }

 private:
  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->write();
    });
  }
  void write() {
    std::string body = entries(request_[http::field::host]);
    response_ = http::response<http::string_body>(body.empty() ? http::status::not_found : http::status::ok, request_.version());
    response_.set(http::field::content_type, "application/json");
    response_.keep_alive(request_.keep_alive());
    response_.body() = std::move(body);
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec && self->response_.keep_alive()) self->read();
    });
  }
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void accept(tcp::acceptor& acceptor, asio::io_context& ioc) {
  acceptor.async_accept(asio::make_strand(ioc), [&](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket))->start();
    if (ec != asio::error::operation_aborted) accept(acceptor, ioc);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: %s ADDRESS PORT THREADS CONNINFO BASE_DOMAIN [soci|libpq]\n", argv[0]);
    return 2;
  }
  conninfo = argv[4];
  use_soci = argc == 7 && std::string_view(argv[6]) == "soci";
  std::string base = argv[5];
  {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexec(thread_connection(), "SELECT slug, data_location FROM calyx_tenants WHERE isolation = 'isolated'"), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      std::fprintf(stderr, "minimal_tenant_server: %s\n", PQerrorMessage(thread_connection()));
      return 1;
    }
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      schema_by_host[std::string(PQgetvalue(result.get(), row, 0)) + "." + base] = PQgetvalue(result.get(), row, 1);
    }
  }
  std::fprintf(stderr, "minimal_tenant_server: %zu tenants\n", schema_by_host.size());
  int threads = std::max(1, std::atoi(argv[3]));
  asio::io_context ioc(threads);
  tcp::acceptor acceptor(ioc, {asio::ip::make_address(argv[1]), static_cast<unsigned short>(std::atoi(argv[2]))});
  accept(acceptor, ioc);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
