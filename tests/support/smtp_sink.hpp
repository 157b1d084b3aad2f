// A tiny SMTP server on 127.0.0.1 for tests: it accepts mail and records it, or refuses recipients on demand.
#pragma once

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

  SmtpSink();
  ~SmtpSink();
  std::uint16_t port() const { return port_; }
  std::vector<Mail> mail() const;
  void refuse_recipients(bool refuse) { refuse_ = refuse; }

 private:
  void serve();
  void session(int fd);

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false}, refuse_{false};
  mutable std::mutex mutex_;
  std::vector<Mail> mail_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace calyx::testing
