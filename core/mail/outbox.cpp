// The outbox table.
#include <calyx/mail/outbox.hpp>

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
    std::string now = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
    long long tenant = m.tenant_id.value_or(0);
    soci::indicator tenant_i = m.tenant_id ? soci::i_ok : soci::i_null;
    lease->session() << "INSERT INTO calyx_outbox (tenant_id, to_address, from_address, subject, body_text, created_at) "
                        "VALUES (:t, :to, :f, :s, :b, :c)",
        soci::use(tenant, tenant_i), soci::use(m.to), soci::use(m.from), soci::use(m.subject), soci::use(m.body),
        soci::use(now);
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
                                                        "created_at, sent_at FROM calyx_outbox ORDER BY id DESC LIMIT :l",
                            soci::into(id), soci::into(tenant, tenant_i), soci::into(m.to), soci::into(m.from),
                            soci::into(m.subject), soci::into(m.body), soci::into(m.created_at), soci::into(m.sent_at, sent_i),
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

}  // namespace calyx::mail
