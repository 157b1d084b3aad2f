-- The latest migration applied per data scope (a tenant schema, a tenant database, the shared scope) and
-- module: one query tells `calyx tenant migrate` which tenants have nothing to do. The ledgers in each scope
-- (calyx_schema_migrations) stay the truth; this is their summary, written after each scope commits.
CREATE TABLE calyx_tenant_module_versions (
  scope TEXT NOT NULL,
  module TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (scope, module)
);
