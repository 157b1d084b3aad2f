// The outbox table.
#include <calyx/mail/outbox.hpp>

#include <calyx/clock.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

namespace calyx::mail {

Outbox::Outbox(db::ConnectionPool& host) : host_(host) {}

Status Outbox::enqueue(const Message& m) {
  if (m.to.empty() || m.to.find('\n') != std::string::npos || m.subject.find('\n') != std::string::npos) {
    return Error::invalid_argument("an email needs one recipient and a one-line subject");
  }
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    std::string now = utc_now();
    long long tenant = m.tenant_id.value_or(0);
    soci::indicator tenant_i = m.tenant_id ? soci::i_ok : soci::i_null;
    lease->session() << "INSERT INTO calyx_outbox (tenant_id, to_address, from_address, subject, body_text, body_html, created_at) "
                        "VALUES (:t, :to, :f, :s, :b, :h, :c)",
        soci::use(tenant, tenant_i), soci::use(m.to), soci::use(m.from), soci::use(m.subject), soci::use(m.body),
        soci::use(m.html), soci::use(now);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("queueing the email: {}", e.what()));
  }
}

Result<std::vector<Message>> Outbox::latest(std::size_t limit) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<Message> out;
  try {
    Message m;
    long long id = 0, tenant = 0, max = static_cast<long long>(std::min<std::size_t>(limit, 500));
    soci::indicator tenant_i, sent_i;
    soci::statement rows = (lease->session().prepare << "SELECT id, tenant_id, to_address, from_address, subject, body_text, "
                                                        "body_html, created_at, sent_at FROM calyx_outbox ORDER BY id DESC LIMIT :l",
                            soci::into(id), soci::into(tenant, tenant_i), soci::into(m.to), soci::into(m.from),
                            soci::into(m.subject), soci::into(m.body), soci::into(m.html), soci::into(m.created_at),
                            soci::into(m.sent_at, sent_i),
                            soci::use(max));
    rows.execute();
    while (rows.fetch()) {
      m.id = id;
      m.tenant_id = tenant_i == soci::i_ok ? std::optional(tenant) : std::nullopt;
      if (sent_i != soci::i_ok) m.sent_at.clear();
      out.push_back(m);
    }
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("reading the outbox: {}", e.what()));
  }
  return out;
}

Result<std::vector<Message>> Outbox::due(std::size_t limit) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<Message> out;
  try {
    Message m;
    long long id = 0, tenant = 0, now = unix_now(), max = static_cast<long long>(limit);
    int attempts_limit = max_attempts;
    soci::indicator tenant_i;
    soci::statement rows = (lease->session().prepare << "SELECT id, tenant_id, to_address, from_address, subject, body_text, "
                                                        "body_html, created_at FROM calyx_outbox WHERE sent_at IS NULL AND attempts < :a "
                                                        "AND next_attempt_at <= :n ORDER BY id LIMIT :l",
                            soci::use(attempts_limit), soci::use(now), soci::use(max), soci::into(id), soci::into(tenant, tenant_i),
                            soci::into(m.to), soci::into(m.from), soci::into(m.subject), soci::into(m.body),
                            soci::into(m.html), soci::into(m.created_at));
    rows.execute();
    while (rows.fetch()) {
      m.id = id;
      m.tenant_id = tenant_i == soci::i_ok ? std::optional(tenant) : std::nullopt;
      out.push_back(m);
    }
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("reading the outbox: {}", e.what()));
  }
  return out;
}

Status Outbox::mark_sent(std::int64_t id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long message = id;
    std::string now = utc_now();
    lease->session() << "UPDATE calyx_outbox SET sent_at = :s, attempts = attempts + 1, last_error = '' WHERE id = :i",
        soci::use(now), soci::use(message);
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("recording the delivery: {}", e.what()));
  }
}

Status Outbox::mark_failed(std::int64_t id, std::string_view error) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    long long message = id;
    int attempts = 0;
    lease->session() << "SELECT attempts FROM calyx_outbox WHERE id = :i", soci::use(message), soci::into(attempts);
    long long next = unix_now() + (30LL << std::min(attempts, 10));  // 30 s, 1 min, 2 min, …
    std::string text(error.substr(0, 500));
    lease->session() << "UPDATE calyx_outbox SET attempts = attempts + 1, last_error = :e, next_attempt_at = :n WHERE id = :i",
        soci::use(text), soci::use(next), soci::use(message);
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("recording the failed delivery: {}", e.what()));
  }
}

Result<Outbox::Delivery> Outbox::delivery(std::int64_t id) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    long long message = id;
    Delivery d;
    std::string sent;
    soci::indicator sent_i = soci::i_null;
    lease->session() << "SELECT attempts, last_error, sent_at FROM calyx_outbox WHERE id = :i", soci::use(message),
        soci::into(d.attempts), soci::into(d.last_error), soci::into(sent, sent_i);
    d.sent = sent_i == soci::i_ok;
    return d;
  } catch (const std::exception& e) {
    return Error::failed(fmt::format("reading the delivery: {}", e.what()));
  }
}

}  // namespace calyx::mail
