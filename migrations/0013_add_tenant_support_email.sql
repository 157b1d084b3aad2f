-- The address a tenant's emails come from (and replies go to), when the tenant has one.
ALTER TABLE calyx_tenants ADD COLUMN support_email TEXT NOT NULL DEFAULT '';
