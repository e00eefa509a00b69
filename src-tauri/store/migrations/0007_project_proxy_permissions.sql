-- A project's proxy permissions: the gates of its containers that have none of their own.
CREATE TABLE project_proxy_permissions (
    project_id TEXT PRIMARY KEY NOT NULL,
    document   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
