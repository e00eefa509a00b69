-- A token's public profile, as the platform has it: a public key others may look the token's
-- profile up by (one token per key), and a JSON document it publishes.
ALTER TABLE tokens ADD COLUMN public_key TEXT;
ALTER TABLE tokens ADD COLUMN public_storage TEXT;
CREATE UNIQUE INDEX tokens_public_key ON tokens (public_key) WHERE public_key IS NOT NULL;
