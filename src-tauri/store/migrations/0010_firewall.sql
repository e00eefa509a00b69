-- A container's firewall rules (egress and ingress), as one JSON document.
CREATE TABLE firewall_rules (
    container_id TEXT PRIMARY KEY NOT NULL,
    document     TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);
