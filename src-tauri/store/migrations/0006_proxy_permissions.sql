-- The gates a container's kit URLs sit behind (its proxy permissions), as one JSON document.
CREATE TABLE proxy_permissions (
    container_id TEXT PRIMARY KEY NOT NULL,
    document     TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
