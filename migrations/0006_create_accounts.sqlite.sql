-- Accounts: global user identities, server-side sessions (bound to one tenant's host), tenant memberships with
-- module roles and prohibitions, sign-in throttling, and the append-only audit log.
CREATE TABLE calyx_users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
  platform_admin INTEGER NOT NULL DEFAULT 0,
  confirmed_at TEXT,
  last_sign_in_at TEXT,
  last_sign_in_ip TEXT,
  created_at TEXT NOT NULL
);

CREATE TABLE calyx_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES calyx_users (id) ON DELETE CASCADE,
  tenant_id BIGINT NOT NULL REFERENCES calyx_tenants (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  impersonator_id BIGINT REFERENCES calyx_users (id) ON DELETE CASCADE,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX calyx_sessions_user ON calyx_sessions (user_id);

CREATE TABLE calyx_memberships (
  tenant_id BIGINT NOT NULL REFERENCES calyx_tenants (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES calyx_users (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);

-- Module roles granted to a member (`grant`), and permissions explicitly prohibited (`deny`), per tenant.
CREATE TABLE calyx_member_rules (
  tenant_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  effect TEXT NOT NULL CHECK (effect IN ('grant', 'deny')),
  subject TEXT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, effect, subject),
  FOREIGN KEY (tenant_id, user_id) REFERENCES calyx_memberships (tenant_id, user_id) ON DELETE CASCADE
);

CREATE TABLE calyx_sign_in_failures (
  subject TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);

CREATE TABLE calyx_audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'admin', 'system', 'impersonator')),
  actor_user_id BIGINT,
  impersonator_id BIGINT,
  action TEXT NOT NULL,
  tenant_id BIGINT,
  target TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calyx_audit_log_tenant ON calyx_audit_log (tenant_id, id);
CREATE INDEX calyx_audit_log_user ON calyx_audit_log (actor_user_id, id);
