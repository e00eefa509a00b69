-- The event log (GET /events): what happened to which resource, kept after the fact.
CREATE TABLE event_log (
    id            TEXT PRIMARY KEY NOT NULL,
    event_type    TEXT NOT NULL,
    message       TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    project_id    TEXT,
    container_id  TEXT,
    realm_ids     TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX event_log_by_time ON event_log (created_at);
CREATE INDEX event_log_by_resource ON event_log (resource_id, created_at);
