-- Platform-wide settings edited by platform admins (display name, support address, ...), one row a key.
CREATE TABLE calyx_platform_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

INSERT INTO calyx_platform_settings (key, value, updated_at) VALUES ('platform_name', 'Calyx', CURRENT_TIMESTAMP);
