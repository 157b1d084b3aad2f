// The test SMTP server: one connection at a time, enough of RFC 5321 for Calyx's client.
#include "support/smtp_sink.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace calyx::testing {

SmtpSink::SmtpSink() {
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
  auto send = [&](const std::string& line) { (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL); };
  auto read_line = [&](std::string& line) {
    for (;;) {
      if (auto end = buffer.find("\r\n"); end != std::string::npos) {
        line = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      char chunk[1024];
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  };
  Mail mail;
  send("220 sink ready\r\n");
  std::string line;
  while (read_line(line)) {
    if (line.starts_with("EHLO")) {
      send("250-sink\r\n250 AUTH PLAIN\r\n");
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
  ::close(fd);
}

}  // namespace calyx::testing
