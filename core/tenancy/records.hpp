// Shared by the files that write the tenancy tables: the change counter every host watches.
// Private to core/tenancy.
#pragma once

#include <calyx/clock.hpp>
#include <calyx/db/backend.hpp>
#include <calyx/db/dialect.hpp>
#include <calyx/result.hpp>

#include <soci/soci.h>

#include <string>

namespace calyx::tenancy {

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

}  // namespace calyx::tenancy
