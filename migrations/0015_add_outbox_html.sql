-- An email's HTML alternative (in the tenant's theme), sent beside the plain text; empty: text only.
ALTER TABLE calyx_outbox ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
