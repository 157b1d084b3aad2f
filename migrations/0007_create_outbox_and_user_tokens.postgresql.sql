-- Outgoing email (delivered by SMTP when CALYX_SMTP_URL is set; shown at /dev/mailbox in development) and the
-- single-use tokens mailed to users (password reset, ...), kept as digests.
CREATE TABLE calyx_outbox (
  id BIGSERIAL PRIMARY KEY,
  tenant_id BIGINT,
  to_address TEXT NOT NULL,
  from_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  body_text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);

CREATE TABLE calyx_user_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES calyx_users (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  tenant_id BIGINT,
  expires_at BIGINT NOT NULL,
  used_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX calyx_user_tokens_user ON calyx_user_tokens (user_id, purpose);
