CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL UNIQUE,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT    NOT NULL,
    occurred_at  BIGINT  NOT NULL,
    data         TEXT    NOT NULL
);
CREATE INDEX events_by_workspace_type ON events (workspace_id, type, seq);
CREATE INDEX events_by_workspace ON events (workspace_id, seq);
