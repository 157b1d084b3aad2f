-- White-label themes: the fields a tenant set itself (JSON object; unset fields inherit from the parent
-- tenant, then the defaults), whether a platform admin lets its custom JavaScript run, the images it
-- uploaded, and the interface language of tenants and users.
ALTER TABLE calyx_tenants ADD COLUMN theme TEXT NOT NULL DEFAULT '{}';
ALTER TABLE calyx_tenants ADD COLUMN allow_custom_js INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calyx_tenants ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE calyx_users ADD COLUMN locale TEXT NOT NULL DEFAULT '';

CREATE TABLE calyx_theme_files (
  tenant_id BIGINT NOT NULL REFERENCES calyx_tenants (id) ON DELETE CASCADE,
  field TEXT NOT NULL,
  content_type TEXT NOT NULL,
  content TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, field)
);
