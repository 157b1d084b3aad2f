-- Invitations to one workspace by email: a single-use link valid for 7 days that makes the invited address a
-- member with the given role (creating its account when it has none: the link proves the address).
CREATE TABLE calyx_tenant_invitations (
  id BIGSERIAL PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES calyx_tenants (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  token_hash TEXT NOT NULL UNIQUE,
  invited_by BIGINT REFERENCES calyx_users (id) ON DELETE SET NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
  created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX calyx_tenant_invitations_tenant ON calyx_tenant_invitations (tenant_id, status);
