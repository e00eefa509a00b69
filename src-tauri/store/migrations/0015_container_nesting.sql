-- Nested user namespaces inside a container (Podman, Docker inside): off unless its user asks,
-- for the containers made before too.
ALTER TABLE containers ADD COLUMN nesting BOOLEAN NOT NULL DEFAULT 0;
