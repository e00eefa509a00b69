-- Grants of a project to a token (GET/POST /projects/{id}/permissions): they reach the project
-- whatever realms the token is restricted to. They go with the project or the token.
CREATE TABLE project_permissions (
    id         TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    token_id   TEXT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    level      TEXT NOT NULL CHECK (level IN ('read', 'write', 'admin')),
    granted_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (project_id, token_id)
);
CREATE INDEX project_permissions_by_token ON project_permissions (token_id);
