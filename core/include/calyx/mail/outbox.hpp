// The outbox: every email Calyx sends is first a row here, written in the same breath as the action that
// causes it, then delivered (SMTP, with retries) or, in development, read at /dev/mailbox.
// Thread-safety: all members are safe to call from several threads.
#pragma once

#include <calyx/db/pool.hpp>
#include <calyx/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace calyx::mail {

struct Message {
  std::int64_t id = 0;
  std::optional<std::int64_t> tenant_id;
  std::string to, from, subject, body;  // plain text
  std::string created_at, sent_at;      // sent_at empty: not delivered yet
  std::string html;                     // an HTML alternative (the tenant's theme); empty: text only
};

class Outbox {
 public:
  explicit Outbox(db::ConnectionPool& host);

  Status enqueue(const Message& message);
  // Newest first.
  Result<std::vector<Message>> latest(std::size_t limit = 50);

  // Unsent messages whose next attempt is due, oldest first, at most `limit`; and the outcome of an attempt:
  // sent, or failed (retried later with a doubling delay, given up after `max_attempts`).
  Result<std::vector<Message>> due(std::size_t limit);
  Status mark_sent(std::int64_t id);
  Status mark_failed(std::int64_t id, std::string_view error);
  static constexpr int max_attempts = 8;

  struct Delivery {
    int attempts = 0;
    std::string last_error;
    bool sent = false;
  };
  Result<Delivery> delivery(std::int64_t id);

 private:
  db::ConnectionPool& host_;
};

}  // namespace calyx::mail
