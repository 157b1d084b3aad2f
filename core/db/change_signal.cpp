// LISTEN/NOTIFY through libpq's socket, and SQLite's data_version on a connection of its own.
#include <calyx/db/change_signal.hpp>

#include <calyx/db/dialect.hpp>

#include "db/native.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <thread>

namespace calyx::db {
namespace {

class PostgresChangeSignal : public ChangeSignal {
 public:
  PostgresChangeSignal(DatabaseUrl url, std::string channel) : url_(std::move(url)), channel_(std::move(channel)) {}

  Result<bool> wait(std::chrono::milliseconds timeout) override {
    bool reconnected = false;
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      if (auto ok = connect(); !ok) return ok.error();
      reconnected = true;  // notifications may have been missed while disconnected
    }
    auto pending = drain();
    if (!pending) return pending;
    if (*pending || reconnected) return true;
    pollfd descriptor{PQsocket(conn_.get()), POLLIN, 0};
    int ready = ::poll(&descriptor, 1, static_cast<int>(timeout.count()));
    if (ready < 0) return Error::unavailable("waiting for database notifications failed");
    if (ready == 0) return false;
    return drain();
  }

 private:
  Status connect() {
    conn_.reset(PQconnectdb(url_.soci_connection_string().c_str()));
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn_.get());
      conn_.reset();
      return Error::unavailable(fmt::format("cannot listen for changes on {}: {}", url_.redacted(), message));
    }
    auto quoted = dialect::quote_identifier(channel_);
    if (!quoted) return quoted.error();
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_.get(), ("LISTEN " + *quoted).c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      std::string message = PQerrorMessage(conn_.get());
      conn_.reset();
      return Error::unavailable(fmt::format("LISTEN {} failed: {}", channel_, message));
    }
    return Ok{};
  }

  // Reads what arrived; true when at least one notification did.
  Result<bool> drain() {
    if (!PQconsumeInput(conn_.get())) {
      std::string message = PQerrorMessage(conn_.get());
      conn_.reset();
      return Error::unavailable(fmt::format("lost the notification connection: {}", message));
    }
    bool notified = false;
    while (PGnotify* notify = PQnotifies(conn_.get())) {
      notified = true;
      PQfreemem(notify);
    }
    return notified;
  }

  struct Finish {
    void operator()(PGconn* conn) const { PQfinish(conn); }
  };
  DatabaseUrl url_;
  std::string channel_;
  std::unique_ptr<PGconn, Finish> conn_;
};

class SqliteChangeSignal : public ChangeSignal {
 public:
  explicit SqliteChangeSignal(DatabaseUrl url) : url_(std::move(url)) {}

  Result<bool> wait(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto version = data_version();
      if (!version) return version.error();
      // The first observation counts as a change too: whatever committed before it was not seen yet.
      if (last_ != *version) {
        last_ = *version;
        return true;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(50)));
    }
  }

 private:
  Result<long long> data_version() {
    try {
      if (!session_) {
        session_ = std::make_unique<soci::session>(*soci::factory_sqlite3(), url_.soci_connection_string());
        dialect::prepare_connection(*session_, Backend::sqlite, std::chrono::milliseconds(1000));
      }
      long long version = 0;
      *session_ << "PRAGMA data_version", soci::into(version);
      return version;
    } catch (const std::exception& e) {
      session_.reset();
      return Error::unavailable(fmt::format("cannot watch {} for changes: {}", url_.redacted(), e.what()));
    }
  }

  DatabaseUrl url_;
  std::unique_ptr<soci::session> session_;
  long long last_ = -1;
};

}  // namespace

Result<std::unique_ptr<ChangeSignal>> ChangeSignal::open(const DatabaseUrl& url, std::string channel) {
  if (url.backend == Backend::sqlite) return std::unique_ptr<ChangeSignal>(new SqliteChangeSignal(url));
  if (!dialect::is_valid_identifier(channel)) {
    return Error::invalid_argument(fmt::format("'{}' is not a valid notification channel", channel));
  }
  return std::unique_ptr<ChangeSignal>(new PostgresChangeSignal(url, std::move(channel)));
}

}  // namespace calyx::db
