// Rewrites a module's SQLite CREATE TABLE statement into its shared-mode form: the table renamed, a
// tenant_id column added, and every uniqueness (UNIQUE and natural PRIMARY KEY, column or table constraint)
// made unique per tenant by putting tenant_id first. SQLite cannot alter a table's constraints, so shared
// mode rebuilds the table from this statement. Private to core/tenancy.
#pragma once

#include <calyx/result.hpp>

#include <string>
#include <string_view>

namespace calyx::tenancy {

// `create_sql` as stored in sqlite_master; the result creates `new_name`. Refuses what it cannot parse.
Result<std::string> shared_table_ddl(std::string_view create_sql, std::string_view new_name);

// `CREATE [UNIQUE] INDEX name ON table (cols) ...` with tenant_id put first among the indexed columns.
Result<std::string> shared_index_ddl(std::string_view create_sql);

}  // namespace calyx::tenancy
