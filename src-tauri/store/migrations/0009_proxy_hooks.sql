-- The hooks the proxy runs for a container's kit services, as one JSON document.
CREATE TABLE proxy_hooks (
    container_id TEXT PRIMARY KEY NOT NULL,
    document     TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
