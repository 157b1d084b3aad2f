// A deliberately small blocking HTTP/1.1 client over a raw socket, so tests can send exactly the bytes they
// want: malformed requests, oversized headers, requests sent slowly or only in part.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace calyx::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; repeated ones folded with ", "
  std::string body;
};

// One open TCP connection to 127.0.0.1:port.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends raw bytes; false if the peer has closed.
  bool send(const std::string& bytes);
  // Reads one response (status line, headers, Content-Length body); nullopt on close or timeout.
  // With expect_body false (an answer to HEAD) the Content-Length is not read.
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                            bool expect_body = true);
  // True when the server closed the connection within `timeout` (reads and drops anything before that).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

// GET (or another method) in one go on a fresh connection.
// `host` is the Host header (tenants are detected from it).
std::optional<HttpResponse> http_request(std::uint16_t port, const std::string& method, const std::string& target,
                                         const std::string& extra_headers = "", const std::string& body = "",
                                         const std::string& host = "localhost");

}  // namespace calyx::testing
