// A small blocking SMTP client over a POSIX socket, upgraded to TLS with OpenSSL for STARTTLS.
#include <calyx/mail/smtp.hpp>


#include <fmt/chrono.h>
#include <fmt/format.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

namespace calyx::mail {
namespace {

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// A connection that reads replies line by line and writes commands, in clear or over TLS.
class Connection {
 public:
  Connection(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  ~Connection() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }

  Status write(std::string_view data) {
    while (!data.empty()) {
      long n = ssl_ ? SSL_write(ssl_, data.data(), static_cast<int>(data.size())) : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return Error::unavailable("the SMTP server closed the connection while we were writing");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return Ok{};
  }

  // One reply (possibly multi-line "250-…" … "250 …"): its code and its text.
  Result<std::pair<int, std::string>> reply() {
    std::string text;
    for (;;) {
      auto line = read_line();
      if (!line) return line.error();
      if (line->size() < 3) return Error::failed("the SMTP server sent a malformed reply");
      text += *line + "\n";
      if (line->size() == 3 || (*line)[3] == ' ') return std::pair{std::stoi(line->substr(0, 3)), text};
    }
  }

  Status starttls(const std::string& host, const std::string& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return Error::internal("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    if (ca_file.empty()) {
      SSL_CTX_set_default_verify_paths(ctx_);
    } else if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
      return Error::invalid_argument(fmt::format("cannot read the CA file {}", ca_file));
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    // The certificate must name the host: its DNS name, or its IP address when given as one.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str()) != 1) {
      SSL_set_tlsext_host_name(ssl_, host.c_str());
      SSL_set1_host(ssl_, host.c_str());
    }
    if (SSL_connect(ssl_) != 1) {
      char buffer[256];
      ERR_error_string_n(ERR_get_error(), buffer, sizeof buffer);
      return Error::unavailable(fmt::format("TLS with the SMTP server failed: {}", buffer));
    }
    buffer_.clear();
    return Ok{};
  }

 private:
  Result<std::string> read_line() {
    for (;;) {
      if (auto end = buffer_.find("\r\n"); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      if (!ssl_ || SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return Error::timeout("the SMTP server did not answer in time");
      }
      char chunk[1024];
      long n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return Error::unavailable("the SMTP server closed the connection");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int fd_;
  std::chrono::milliseconds timeout_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

Result<int> connect_to(const SmtpServer& server) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(server.port);
  if (int rc = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error::unavailable(fmt::format("cannot resolve SMTP server {}: {}", server.host, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{static_cast<time_t>(server.timeout.count() / 1000), static_cast<suseconds_t>((server.timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    ::close(fd);
  }
  return Error::unavailable(fmt::format("cannot connect to SMTP server {}:{}", server.host, server.port));
}

// "=?utf-8?B?…?=" when the subject is not plain ASCII.
std::string header_text(std::string_view text) {
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c >= 0x20 && c < 0x7f;
  if (ascii) return std::string(text);
  std::string encoded(sodium_base64_encoded_len(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.pop_back();
  return "=?utf-8?B?" + encoded + "?=";
}

}  // namespace

Result<SmtpServer> SmtpServer::parse(std::string_view url) {
  SmtpServer server;
  std::string_view rest;
  if (url.starts_with("smtp+starttls://")) {
    server.starttls = true;
    server.port = 587;
    rest = url.substr(16);
  } else if (url.starts_with("smtp://")) {
    rest = url.substr(7);
  } else {
    return Error::invalid_argument("CALYX_SMTP_URL must start with smtp:// or smtp+starttls://");
  }
  if (auto question = rest.find('?'); question != std::string_view::npos) {
    std::string_view query = rest.substr(question + 1);
    rest = rest.substr(0, question);
    if (query.starts_with("ca=")) {
      server.ca_file = percent_decode(query.substr(3));
    } else if (!query.empty()) {
      return Error::invalid_argument("CALYX_SMTP_URL accepts only the parameter ca=/path/to/ca.pem");
    }
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto credentials = rest.substr(0, at);
    auto colon = credentials.find(':');
    server.user = percent_decode(credentials.substr(0, colon));
    if (colon != std::string_view::npos) server.password = percent_decode(credentials.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    int port = 0;
    try {
      port = std::stoi(std::string(rest.substr(colon + 1)));
    } catch (const std::exception&) {
    }
    if (port <= 0 || port > 65535) return Error::invalid_argument("CALYX_SMTP_URL has a bad port");
    server.port = static_cast<std::uint16_t>(port);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Error::invalid_argument("CALYX_SMTP_URL names no host");
  server.host = std::string(rest);
  return server;
}

namespace {

// CRLF line ends, and a leading dot doubled (RFC 5321 4.5.2).
std::string smtp_lines(std::string_view body) {
  std::string out;
  while (!body.empty()) {
    auto end = body.find('\n');
    std::string_view line = body.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '.') out += '.';
    out += std::string(line) + "\r\n";
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace

std::string format_message(const Message& m, std::string_view message_id_domain) {
  unsigned char id[12];
  randombytes_buf(id, sizeof id);
  char hex[25];
  sodium_bin2hex(hex, sizeof hex, id, sizeof id);
  std::string out = fmt::format("From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {:%a, %d %b %Y %H:%M:%S +0000}\r\n"
                                "Message-ID: <{}@{}>\r\nMIME-Version: 1.0\r\n",
                                m.from, m.to, header_text(m.subject), fmt::gmtime(std::time(nullptr)), hex, message_id_domain);
  constexpr std::string_view text_part = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  if (m.html.empty()) return out + std::string(text_part) + smtp_lines(m.body);
  // Text and HTML as alternatives (RFC 2046 5.1.4): clients show the HTML, the text stays for the rest.
  std::string boundary = fmt::format("calyx-{}", hex);
  out += fmt::format("Content-Type: multipart/alternative; boundary=\"{}\"\r\n\r\n", boundary);
  out += fmt::format("--{}\r\n{}", boundary, text_part) + smtp_lines(m.body);
  out += fmt::format("--{}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", boundary) +
         smtp_lines(m.html);
  out += fmt::format("--{}--\r\n", boundary);
  return out;
}

Status send_smtp(const SmtpServer& server, const Message& message) {
  auto fd = connect_to(server);
  if (!fd) return fd.error();
  Connection c(*fd, server.timeout);
  auto expect = [&](int wanted, std::string_view step) -> Status {
    auto r = c.reply();
    if (!r) return r.error();
    if (r->first != wanted) {
      std::string text = r->second;
      while (!text.empty() && text.back() == '\n') text.pop_back();
      return Error::failed(fmt::format("SMTP {}: the server answered {}", step, text));
    }
    return Ok{};
  };
  auto command = [&](const std::string& line, int wanted, std::string_view step) -> Status {
    if (auto ok = c.write(line + "\r\n"); !ok) return ok;
    return expect(wanted, step);
  };
  if (auto ok = expect(220, "greeting"); !ok) return ok;
  if (auto ok = command("EHLO " + server.helo_name, 250, "EHLO"); !ok) return ok;
  if (server.starttls) {
    if (auto ok = command("STARTTLS", 220, "STARTTLS"); !ok) return ok;
    if (auto ok = c.starttls(server.host, server.ca_file); !ok) return ok;
    if (auto ok = command("EHLO " + server.helo_name, 250, "EHLO after STARTTLS"); !ok) return ok;
  }
  if (!server.user.empty()) {
    std::string plain = std::string(1, '\0') + server.user + std::string(1, '\0') + server.password;
    std::string encoded(sodium_base64_encoded_len(plain.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    encoded.pop_back();
    if (auto ok = command("AUTH PLAIN " + encoded, 235, "AUTH"); !ok) return ok;
  }
  auto address = [](const std::string& a) { return a.find('<') == std::string::npos ? "<" + a + ">" : a; };
  if (message.to.find_first_of("\r\n") != std::string::npos || message.from.find_first_of("\r\n") != std::string::npos) {
    return Error::invalid_argument("an address holds a line break");
  }
  if (auto ok = command("MAIL FROM:" + address(message.from), 250, "MAIL FROM"); !ok) return ok;
  if (auto ok = command("RCPT TO:" + address(message.to), 250, "RCPT TO"); !ok) return ok;
  if (auto ok = command("DATA", 354, "DATA"); !ok) return ok;
  std::string domain = message.from.substr(message.from.find('@') + 1);
  if (auto ok = c.write(format_message(message, domain) + ".\r\n"); !ok) return ok;
  if (auto ok = expect(250, "end of data"); !ok) return ok;
  (void)c.write("QUIT\r\n");
  return Ok{};
}

std::size_t deliver_due(Outbox& outbox, const SmtpServer& server, std::size_t limit) {
  auto due = outbox.due(limit);
  if (!due) return 0;
  std::size_t sent = 0;
  for (const auto& message : *due) {
    if (auto ok = send_smtp(server, message)) {
      (void)outbox.mark_sent(message.id);
      ++sent;
    } else {
      (void)outbox.mark_failed(message.id, ok.error().message());
    }
  }
  return sent;
}

}  // namespace calyx::mail
