-- Tokens as the platform lists them: the secret's prefix, on/off, permissions flag by flag,
-- an expiry, when last used and when last changed.
ALTER TABLE tokens ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN is_enabled BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE tokens ADD COLUMN permissions TEXT NOT NULL DEFAULT '{}';
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE tokens ADD COLUMN updated_at INTEGER;
