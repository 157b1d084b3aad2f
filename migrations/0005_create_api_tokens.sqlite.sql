-- API tokens of a tenant: server-to-server calls may name the tenant in the X-Calyx-Tenant header only with
-- one of its tokens. Only a hash of each token is kept; the token itself is shown once, when issued.
CREATE TABLE calyx_api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id BIGINT NOT NULL REFERENCES calyx_tenants (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (tenant_id, name)
);
