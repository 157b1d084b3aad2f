// A tiny SMTP server on 127.0.0.1 for tests: it accepts mail and records it, or refuses recipients on demand.
// With `starttls`, it offers STARTTLS with a certificate for 127.0.0.1 made at start, trusted through ca_file().
#pragma once

#include "support/temp_dir.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace calyx::testing {

class SmtpSink {
 public:
  struct Mail {
    std::string from, to, data, auth;  // data: as received, dot-stuffing undone, CRLF kept
  };

  explicit SmtpSink(bool starttls = false);
  ~SmtpSink();
  std::uint16_t port() const { return port_; }
  std::vector<Mail> mail() const;
  void refuse_recipients(bool refuse) { refuse_ = refuse; }
  std::string ca_file() const { return (dir_.path() / "ca.pem").string(); }
  bool upgraded() const { return upgraded_; }  // a client switched to TLS

 private:
  void serve();
  void session(int fd);

  TempDir dir_;
  void* tls_ = nullptr;  // SSL_CTX* when offering STARTTLS
  std::atomic<bool> upgraded_{false};
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false}, refuse_{false};
  mutable std::mutex mutex_;
  std::vector<Mail> mail_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace calyx::testing
