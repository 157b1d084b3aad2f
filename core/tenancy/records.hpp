// Helpers shared by the files that write the tenancy tables: timestamps, the change counter, error wording.
// Private to core/tenancy.
#pragma once

#include <calyx/db/backend.hpp>
#include <calyx/db/dialect.hpp>
#include <calyx/result.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <chrono>
#include <string>

namespace calyx::tenancy {

inline std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

// Every change to tenants, domains or subscriptions moves the counter hosts watch; PostgreSQL also notifies.
// One round trip; throws soci::soci_error like the statements around it.
inline void bump_version(soci::session& session, db::Backend backend) {
  if (backend == db::Backend::sqlite) {
    session << "UPDATE calyx_tenancy_version SET version = version + 1 WHERE id = 1";
    return;
  }
  auto ran = db::dialect::execute_script(session, backend,
                                         "UPDATE calyx_tenancy_version SET version = version + 1 WHERE id = 1; "
                                         "NOTIFY calyx_tenancy");
  if (!ran) throw soci::soci_error(ran.error().message());
}

inline Error db_error(const std::exception& e, std::string_view step) {
  std::string message = e.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Error::failed(fmt::format("{}: {}", step, message));
}

}  // namespace calyx::tenancy
