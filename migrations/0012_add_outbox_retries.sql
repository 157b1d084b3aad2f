-- Delivery retries: when the next attempt of an unsent email is due (Unix seconds).
ALTER TABLE calyx_outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
