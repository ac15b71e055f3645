CREATE TABLE workspace_counters (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    shard        INTEGER NOT NULL,
    value        BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, name, shard)
);
INSERT INTO workspace_counters (workspace_id, name, shard, value)
SELECT workspace_id, 'users', 0, count(*) FROM users GROUP BY workspace_id;
