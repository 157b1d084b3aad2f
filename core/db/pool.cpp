// The connection pool: lazy growth up to `size`, FIFO-free reuse, validation of long-idle connections,
// and a rollback (or a drop) of any connection that comes back inside a transaction.
#include <calyx/db/dialect.hpp>
#include <calyx/db/pool.hpp>

#include <fmt/format.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>

namespace calyx::db {

Lease::Lease(ConnectionPool* pool, std::unique_ptr<soci::session> session)
    : pool_(pool), session_(std::move(session)) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), session_(std::move(other.session_)), discard_(other.discard_) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ && session_) pool_->release(std::move(session_), discard_);
}

Backend Lease::backend() const { return pool_->backend(); }

ConnectionPool::ConnectionPool(DatabaseUrl url, PoolOptions options)
    : url_(std::move(url)), options_(options) {}

ConnectionPool::~ConnectionPool() {
  std::lock_guard lock(mutex_);
  if (leased_ != 0) {
    // A Lease outliving its pool would write into freed memory: a programming error, stop loudly.
    spdlog::critical("connection pool destroyed with {} connection(s) still leased", leased_);
    std::abort();
  }
}

Result<std::unique_ptr<ConnectionPool>> ConnectionPool::open(DatabaseUrl url, PoolOptions options) {
  if (options.size == 0) return Error::invalid_argument("connection pool size must be at least 1");
  if (url.backend == Backend::sqlite) {
    std::error_code ec;
    auto parent = std::filesystem::path(url.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Error::unavailable(
          fmt::format("cannot create the directory of {}: {}", url.redacted(), ec.message()));
    }
  }
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool(std::move(url), options));
  auto first = pool->connect();
  if (!first) return first.error();
  if (pool->backend() == Backend::sqlite) {
    struct stat info {};
    if (::stat(pool->url_.path.c_str(), &info) == 0) {
      pool->file_device_ = info.st_dev;
      pool->file_inode_ = info.st_ino;
    }
  }
  std::lock_guard lock(pool->mutex_);
  pool->open_ = 1;
  pool->idle_.push_back({std::move(first.value()), std::chrono::steady_clock::now()});
  return pool;
}

Result<std::unique_ptr<soci::session>> ConnectionPool::connect() {
  try {
    auto session = url_.backend == Backend::sqlite
                       ? std::make_unique<soci::session>(*soci::factory_sqlite3(), url_.soci_connection_string())
                       : std::make_unique<soci::session>(*soci::factory_postgresql(),
                                                         url_.soci_connection_string());
    dialect::prepare_connection(*session, url_.backend, options_.sqlite_busy_timeout);
    return session;
  } catch (const std::exception& e) {
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return Error::unavailable(fmt::format("cannot connect to {}: {}", url_.redacted(), message));
  }
}

Result<Lease> ConnectionPool::acquire() { return acquire(options_.acquire_timeout, options_.size); }

Result<Lease> ConnectionPool::acquire(std::chrono::milliseconds timeout) { return acquire(timeout, options_.size); }

Result<Lease> ConnectionPool::acquire_beside() { return acquire(options_.acquire_timeout, 2 * options_.size); }

Result<Lease> ConnectionPool::acquire(std::chrono::milliseconds timeout, std::size_t most_open) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  bool ready = available_.wait_until(lock, deadline, [&] { return !idle_.empty() || open_ < most_open; });
  if (!ready) {
    return Error::timeout(fmt::format("no database connection became free within {} ms (pool of {}, all in use)",
                                      timeout.count(), options_.size));
  }
  ++leased_;
  if (!idle_.empty()) {
    Idle idle = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    bool stale = std::chrono::steady_clock::now() - idle.since >= options_.validate_after_idle;
    bool healthy = !dialect::is_broken(*idle.session, url_.backend);
    if (healthy && stale) {
      try {
        int one = 0;
        *idle.session << "SELECT 1", soci::into(one);
      } catch (const std::exception& e) {
        spdlog::warn("database connection failed validation, replacing it: {}", e.what());
        healthy = false;
      }
    }
    if (healthy) return Lease(this, std::move(idle.session));
    idle.session.reset();
  } else {
    ++open_;
    lock.unlock();
  }
  // Open a new connection (or a replacement) outside the lock: connecting may take a while.
  auto fresh = connect();
  if (!fresh) {
    std::lock_guard relock(mutex_);
    --open_;
    --leased_;
    available_.notify_one();
    return fresh.error();
  }
  return Lease(this, std::move(fresh.value()));
}

void ConnectionPool::release(std::unique_ptr<soci::session> session, bool discard) {
  if (!discard && dialect::in_transaction(*session, url_.backend)) {
    // Whoever held it forgot to finish a transaction: undo it, or drop the connection if even that fails.
    try {
      *session << "ROLLBACK";
    } catch (const std::exception& e) {
      spdlog::warn("could not roll back a returned connection, closing it: {}", e.what());
    }
    discard = dialect::in_transaction(*session, url_.backend);
  }
  if (!discard) discard = dialect::is_broken(*session, url_.backend);
  {
    std::lock_guard lock(mutex_);
    if (open_ > options_.size) discard = true;  // an extra connection (acquire_beside) closes
    --leased_;
    if (discard) {
      --open_;
    } else {
      idle_.push_back({std::move(session), std::chrono::steady_clock::now()});
    }
    available_.notify_one();
  }
  session.reset();  // a discarded connection closes outside the lock
}

Status ConnectionPool::check_database_file() const {
  if (url_.backend != Backend::sqlite || file_inode_ == 0) return Ok{};
  struct stat info {};
  if (::stat(url_.path.c_str(), &info) != 0) {
    return Error::unavailable(fmt::format("the database file {} is gone", url_.path));
  }
  if (info.st_dev != file_device_ || info.st_ino != file_inode_) {
    return Error::unavailable(fmt::format("the database file {} was replaced since the pool opened it", url_.path));
  }
  return Ok{};
}

Status ConnectionPool::ping(std::chrono::milliseconds timeout) {
  if (auto file = check_database_file(); !file) return file;
  auto lease = acquire(timeout);
  if (!lease) return lease.error();
  try {
    int one = 0;
    lease->session() << "SELECT 1", soci::into(one);
    return Ok{};
  } catch (const std::exception& e) {
    lease->discard();
    return Error::unavailable(fmt::format("database did not answer: {}", e.what()));
  }
}

std::size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t ConnectionPool::idle_connections() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

Transaction::Transaction(Lease& lease, Mode mode) : lease_(lease) {
  lease_.session() << std::string(mode == Mode::write ? dialect::begin_write_sql(lease_.backend()) : "BEGIN");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    lease_.session() << "ROLLBACK";
  } catch (const std::exception& e) {
    // The pool checks the state again on release and drops the connection if it is still mid-transaction.
    spdlog::warn("rollback failed: {}", e.what());
  }
}

void Transaction::commit() {
  open_ = false;
  try {
    lease_.session() << "COMMIT";
  } catch (...) {
    try {
      if (dialect::in_transaction(lease_.session(), lease_.backend())) lease_.session() << "ROLLBACK";
    } catch (...) {
      lease_.discard();
    }
    throw;
  }
}

}  // namespace calyx::db
