-- The fleet's last known lists of each server, by kind (`containers`, `projects`): what the grid
-- shows of a server while it does not answer. Replaces fleet_cache (containers only).
CREATE TABLE fleet_lists (
    server     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    items      TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (server, kind)
);
INSERT INTO fleet_lists (server, kind, items, fetched_at)
    SELECT server, 'containers', containers, fetched_at FROM fleet_cache;
DROP TABLE fleet_cache;
