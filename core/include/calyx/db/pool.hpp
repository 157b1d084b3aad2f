// A bounded pool of SOCI sessions to one database. acquire() hands out a Lease (RAII): the session is the
// caller's alone until the Lease is destroyed. A connection found broken is replaced; a connection given
// back inside a transaction is rolled back (or dropped) first, so no one ever receives one mid-transaction.
// Thread-safety: ConnectionPool is safe to use from any thread; a Lease belongs to one thread at a time.
// The pool must outlive every Lease it handed out.
#pragma once

#include <calyx/db/backend.hpp>
#include <calyx/db/database_url.hpp>
#include <calyx/result.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace soci {
class session;
}

namespace calyx::db {

struct PoolOptions {
  std::size_t size = 8;                                      // most connections open at once
  std::chrono::milliseconds acquire_timeout{5000};           // how long acquire() waits for a free one
  std::chrono::milliseconds validate_after_idle{1000};       // ping a connection idle longer than this
  std::chrono::milliseconds sqlite_busy_timeout{5000};       // SQLite: wait this long for a lock
  std::size_t prepared_statements = 256;                     // PostgreSQL: module reads each connection keeps
                                                             // prepared (0: none)
};

class ConnectionPool;

// One connection, borrowed from the pool until destruction.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  soci::session& session() { return *session_; }
  soci::session& operator*() { return *session_; }
  Backend backend() const;

  // Marks the connection unusable: it is closed instead of going back to the pool.
  void discard() { discard_ = true; }

 private:
  friend class ConnectionPool;
  Lease(ConnectionPool* pool, std::unique_ptr<soci::session> session);

  ConnectionPool* pool_;
  std::unique_ptr<soci::session> session_;
  bool discard_ = false;
};

class ConnectionPool {
 public:
  // Opens one connection at once so a wrong URL or an unreachable server fails here, not on first use.
  static Result<std::unique_ptr<ConnectionPool>> open(DatabaseUrl url, PoolOptions options = {});
  ~ConnectionPool();

  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection, waiting at most the configured (or given) timeout for one to be free.
  Result<Lease> acquire();
  Result<Lease> acquire(std::chrono::milliseconds timeout);
  // A second connection for someone who holds one of this pool's connections and needs work done beside it (a
  // module call reading its settings): when every connection is leased, it opens one more rather than wait for
  // holders that may be waiting the same way — up to twice the pool's size; an extra connection closes when it
  // is given back.
  Result<Lease> acquire_beside();

  // Checks that the database answers a query now (readiness probes).
  Status ping(std::chrono::milliseconds timeout);

  Backend backend() const { return url_.backend; }
  const DatabaseUrl& url() const { return url_; }
  const PoolOptions& options() const { return options_; }
  std::size_t open_connections() const;
  std::size_t idle_connections() const;

 private:
  friend class Lease;
  struct Idle {
    std::unique_ptr<soci::session> session;
    std::chrono::steady_clock::time_point since;
  };

  ConnectionPool(DatabaseUrl url, PoolOptions options);
  Result<Lease> acquire(std::chrono::milliseconds timeout, std::size_t most_open);
  Result<std::unique_ptr<soci::session>> connect();
  Status check_database_file() const;
  void release(std::unique_ptr<soci::session> session, bool discard);

  const DatabaseUrl url_;
  const PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Idle> idle_;  // guarded by mutex_
  std::size_t open_ = 0;    // guarded by mutex_: idle + leased + being opened
  std::size_t leased_ = 0;  // guarded by mutex_
  // SQLite: the file's identity when the pool opened, to notice the file being removed or replaced.
  unsigned long long file_device_ = 0, file_inode_ = 0;
};

// A transaction on a leased connection: rolled back on destruction unless committed.
class Transaction {
 public:
  enum class Mode { read, write };
  explicit Transaction(Lease& lease, Mode mode = Mode::write);  // throws soci::soci_error if BEGIN fails
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();  // throws soci::soci_error if COMMIT fails (the transaction is then rolled back)

 private:
  Lease& lease_;
  bool open_ = true;
};

}  // namespace calyx::db
