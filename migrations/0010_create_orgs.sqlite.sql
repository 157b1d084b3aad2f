-- Organizations: the customers that own tenants, their members (admin or member), and invitations by email.
CREATE TABLE calyx_orgs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE calyx_org_members (
  org_id BIGINT NOT NULL REFERENCES calyx_orgs (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES calyx_users (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (org_id, user_id)
);

CREATE TABLE calyx_invitations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id BIGINT NOT NULL REFERENCES calyx_orgs (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  token_hash TEXT NOT NULL UNIQUE,
  invited_by BIGINT REFERENCES calyx_users (id) ON DELETE SET NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected', 'revoked')),
  created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX calyx_invitations_org ON calyx_invitations (org_id, status);
