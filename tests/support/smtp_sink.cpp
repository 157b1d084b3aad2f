// The test SMTP server: one connection at a time, enough of RFC 5321 for Calyx's client.
#include "support/smtp_sink.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace calyx::testing {

namespace {

// A self-signed certificate for 127.0.0.1 (subjectAltName IP), written to `ca_path` so a client can trust it.
SSL_CTX* tls_context(const std::string& ca_path) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("calyx test sink"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  FILE* out = std::fopen(ca_path.c_str(), "w");
  PEM_write_X509(out, cert);
  std::fclose(out);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

}  // namespace

SmtpSink::SmtpSink(bool starttls) {
  if (starttls) tls_ = tls_context(ca_file());
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 8) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("SmtpSink: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

SmtpSink::~SmtpSink() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
  if (tls_) SSL_CTX_free(static_cast<SSL_CTX*>(tls_));
}

std::vector<SmtpSink::Mail> SmtpSink::mail() const {
  std::lock_guard lock(mutex_);
  return mail_;
}

void SmtpSink::serve() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd >= 0) session(fd);
  }
}

void SmtpSink::session(int fd) {
  std::string buffer;
  SSL* ssl = nullptr;
  auto send = [&](const std::string& line) {
    if (ssl) SSL_write(ssl, line.data(), static_cast<int>(line.size()));
    else (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  };
  auto read_line = [&](std::string& line) {
    for (;;) {
      if (auto end = buffer.find("\r\n"); end != std::string::npos) {
        line = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        return true;
      }
      if (!ssl || SSL_pending(ssl) == 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) return false;
      }
      char chunk[1024];
      long n = ssl ? SSL_read(ssl, chunk, sizeof chunk) : ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  };
  Mail mail;
  send("220 sink ready\r\n");
  std::string line;
  while (read_line(line)) {
    if (line.starts_with("EHLO")) {
      send(tls_ && !ssl ? "250-sink\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n" : "250-sink\r\n250 AUTH PLAIN\r\n");
    } else if (line == "STARTTLS" && tls_ && !ssl) {
      send("220 go ahead\r\n");
      ssl = SSL_new(static_cast<SSL_CTX*>(tls_));
      SSL_set_fd(ssl, fd);
      buffer.clear();
      if (SSL_accept(ssl) != 1) break;  // the client refused our certificate
      upgraded_ = true;
    } else if (line.starts_with("AUTH PLAIN ")) {
      mail.auth = line.substr(11);
      send("235 ok\r\n");
    } else if (line.starts_with("MAIL FROM:")) {
      mail.from = line.substr(10);
      send("250 ok\r\n");
    } else if (line.starts_with("RCPT TO:")) {
      if (refuse_) {
        send("550 no such mailbox\r\n");
      } else {
        mail.to = line.substr(8);
        send("250 ok\r\n");
      }
    } else if (line == "DATA") {
      send("354 go on\r\n");
      std::string data;
      while (read_line(line) && line != ".") data += (line.starts_with("..") ? line.substr(1) : line) + "\r\n";
      {
        std::lock_guard lock(mutex_);
        mail_.push_back(mail);
        mail_.back().data = data;
      }
      send("250 queued\r\n");
    } else if (line == "QUIT") {
      send("221 bye\r\n");
      break;
    } else {
      send("502 not implemented\r\n");
    }
  }
  if (ssl) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  ::close(fd);
}

}  // namespace calyx::testing
