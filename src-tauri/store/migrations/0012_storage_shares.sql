-- Storage shares: a container's directory given to another container or to a project's
-- containers. The files live in the runtime's shares directory; these rows say who mounts them.
-- A share goes with its source only (its files are the source's directory): a target that goes
-- leaves it pointing nowhere, so the targets are not foreign keys.
CREATE TABLE storage_shares (
    id                  TEXT PRIMARY KEY NOT NULL,
    source_container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    source_path         TEXT NOT NULL,
    target_container_id TEXT,
    target_project_id   TEXT,
    mode                TEXT NOT NULL CHECK (mode IN ('ro', 'rw')),
    alias               TEXT,
    label               TEXT,
    description         TEXT,
    enabled             INTEGER NOT NULL,
    expires_at          INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (source_container_id, source_path),
    CHECK ((target_container_id IS NULL) <> (target_project_id IS NULL))
);
CREATE INDEX storage_shares_by_target_container ON storage_shares (target_container_id);
CREATE INDEX storage_shares_by_target_project ON storage_shares (target_project_id);

-- A target's choice not to mount a share it receives (mounting is the default).
CREATE TABLE storage_share_unmounted (
    share_id     TEXT NOT NULL REFERENCES storage_shares (id) ON DELETE CASCADE,
    container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    PRIMARY KEY (share_id, container_id)
);
