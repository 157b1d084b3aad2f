// Tells a waiting thread that the database may have changed, without polling a table: on PostgreSQL a
// dedicated connection LISTENs on a channel (writers NOTIFY it in their transaction); on SQLite a dedicated
// connection watches `PRAGMA data_version`, which moves when any other connection commits.
// Thread-safety: one waiting thread per ChangeSignal.
#pragma once

#include <calyx/db/database_url.hpp>
#include <calyx/result.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace calyx::db {

class ChangeSignal {
 public:
  // `channel`: the PostgreSQL notification channel (a valid identifier); unused on SQLite.
  static Result<std::unique_ptr<ChangeSignal>> open(const DatabaseUrl& url, std::string channel);
  virtual ~ChangeSignal() = default;

  // Blocks at most `timeout`. True when a change was signalled since the previous call (the first call, and
  // the first after a reconnection, answer true: changes before them could not be observed); false on timeout.
  // An error means the signal connection broke: the next call reconnects.
  virtual Result<bool> wait(std::chrono::milliseconds timeout) = 0;
};

}  // namespace calyx::db
