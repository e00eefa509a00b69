-- What each server of a desktop's fleet last answered for its containers (JSON), so the grid
-- opens with every server's containers at once, and keeps them, marked stale, while a server
-- does not answer.
CREATE TABLE fleet_cache (
    server     TEXT PRIMARY KEY NOT NULL,
    containers TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);
