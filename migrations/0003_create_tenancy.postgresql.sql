-- Tenants, their domains and their module subscriptions; a change counter every host watches.
CREATE TABLE calyx_tenants (
  id BIGSERIAL PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended', 'deleted')),
  isolation TEXT NOT NULL CHECK (isolation IN ('shared', 'isolated', 'enterprise')),
  data_location TEXT NOT NULL DEFAULT '',
  org_id BIGINT,
  parent_id BIGINT REFERENCES calyx_tenants (id),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE calyx_domains (
  host TEXT PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES calyx_tenants (id) ON DELETE CASCADE,
  is_primary INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX calyx_domains_tenant ON calyx_domains (tenant_id);

CREATE TABLE calyx_subscriptions (
  tenant_id BIGINT NOT NULL REFERENCES calyx_tenants (id) ON DELETE CASCADE,
  module TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  enabled_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, module)
);

CREATE TABLE calyx_tenancy_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO calyx_tenancy_version (id, version) VALUES (1, 0);
