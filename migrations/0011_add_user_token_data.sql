-- What a token carries besides its purpose (the new address of an email change).
ALTER TABLE calyx_user_tokens ADD COLUMN data TEXT NOT NULL DEFAULT '';
