-- Whether people may register themselves on a tenant's host (off unless its operator turns it on).
ALTER TABLE calyx_tenants ADD COLUMN allow_signup INTEGER NOT NULL DEFAULT 0;
