-- The engine's bookkeeping. Timestamps are milliseconds since the Unix epoch (UTC).
-- Lists of ids and maps are JSON text; realms are never deleted, so realm ids stay valid.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE servers (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE realms (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE projects (
    id             TEXT PRIMARY KEY NOT NULL,
    alias          TEXT NOT NULL,
    color          TEXT,
    max_containers INTEGER,
    realm_ids      TEXT NOT NULL DEFAULT '[]',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Deleted containers keep their row (status 'deleted') so that status logs and snapshots stay
-- attributable; the unique indexes below only hold among the living.
CREATE TABLE containers (
    id                  TEXT PRIMARY KEY NOT NULL,
    project_id          TEXT NOT NULL,
    server_id           TEXT NOT NULL REFERENCES servers (id),
    name                TEXT NOT NULL,
    status              TEXT NOT NULL,
    status_since        INTEGER NOT NULL,
    error               TEXT,
    container_image     TEXT NOT NULL,
    hoody_kit           BOOLEAN NOT NULL,
    dev_kit             BOOLEAN NOT NULL,
    realm_ids           TEXT NOT NULL DEFAULT '[]',
    environment_vars    TEXT NOT NULL DEFAULT '{}',
    ssh_public_key      TEXT,
    ssh_key_fingerprint TEXT,
    color               TEXT,
    comment             TEXT,
    autostart           BOOLEAN NOT NULL,
    ai                  BOOLEAN NOT NULL,
    cache               BOOLEAN NOT NULL,
    prespawn            BOOLEAN NOT NULL,
    ramdisk             BOOLEAN NOT NULL,
    source_container_id TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE UNIQUE INDEX containers_unique_name_in_project
    ON containers (project_id, name) WHERE status <> 'deleted';
CREATE UNIQUE INDEX containers_unique_ssh_key
    ON containers (ssh_key_fingerprint) WHERE ssh_key_fingerprint IS NOT NULL AND status <> 'deleted';
CREATE INDEX containers_by_created ON containers (created_at);

CREATE TABLE status_logs (
    id           TEXT PRIMARY KEY NOT NULL,
    container_id TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    at           INTEGER NOT NULL,
    duration_ms  INTEGER,
    triggered_by TEXT NOT NULL,
    reason       TEXT
);
CREATE INDEX status_logs_by_container ON status_logs (container_id, at);

CREATE TABLE snapshots (
    id           TEXT PRIMARY KEY NOT NULL,
    container_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    size_bytes   INTEGER NOT NULL,
    UNIQUE (container_id, name)
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    name       TEXT,
    realm_ids  TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
);

CREATE TABLE images (
    alias       TEXT PRIMARY KEY NOT NULL,
    os          TEXT NOT NULL,
    release     TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    description TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
