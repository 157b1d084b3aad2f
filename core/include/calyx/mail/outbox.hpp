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
};

class Outbox {
 public:
  explicit Outbox(db::ConnectionPool& host);

  Status enqueue(const Message& message);
  // Newest first.
  Result<std::vector<Message>> latest(std::size_t limit = 50);

 private:
  db::ConnectionPool& host_;
};

}  // namespace calyx::mail
