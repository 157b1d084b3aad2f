// Rewrites a module's SQLite CREATE TABLE statement into its shared-mode form: the table renamed, a
// tenant_id column added, and every uniqueness (UNIQUE and natural PRIMARY KEY, column or table constraint)
// made unique per tenant by putting tenant_id first. SQLite cannot alter a table's constraints, so shared
// mode rebuilds the table from this statement. Private to core/tenancy.
#pragma once

#include <calyx/result.hpp>

#include <set>
#include <string>
#include <string_view>

namespace calyx::tenancy {

// `create_sql` as stored in sqlite_master; the result creates `new_name`. Refuses what it cannot parse.
Result<std::string> shared_table_ddl(std::string_view create_sql, std::string_view new_name);

// `CREATE [UNIQUE] INDEX name ON table (cols) ...` with tenant_id put first among the indexed columns.
Result<std::string> shared_index_ddl(std::string_view create_sql);

// A shared-scope migration script with each uniqueness it declares on existing tables made per tenant before
// it runs — `CREATE UNIQUE INDEX ... ON t (a)` and `ALTER TABLE t ADD [CONSTRAINT c] UNIQUE (a)` get tenant_id
// first — since a shared table already holds several tenants' rows, which the plain statement would refuse.
// Same syntax on both backends. (Uniqueness declared in CREATE TABLE is rewritten after the table exists.)
// Only statements on `existing` tables (those already shared) are touched: a table the script creates gets
// tenant_id afterwards, with all of its keys.
std::string shared_unique_statements(std::string_view script, const std::set<std::string>& existing);

}  // namespace calyx::tenancy
