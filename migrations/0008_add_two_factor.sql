-- Two-factor sign-in: a TOTP secret per user (enabled once a first code proved the app has it) and
-- single-use backup codes, kept as digests.
ALTER TABLE calyx_users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE calyx_users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE calyx_backup_codes (
  user_id BIGINT NOT NULL REFERENCES calyx_users (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at TEXT,
  PRIMARY KEY (user_id, code_hash)
);
