CREATE TABLE workflows (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL,
    version            INTEGER NOT NULL,
    published_version  INTEGER,
    trigger_type       TEXT    NOT NULL,
    trigger_event      TEXT    NOT NULL DEFAULT '',
    webhook_token_hash TEXT UNIQUE,
    next_fire_at       BIGINT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE INDEX workflows_by_workspace ON workflows (workspace_id, id);
CREATE INDEX workflows_by_trigger ON workflows (workspace_id, trigger_type, trigger_event, status);

CREATE TABLE workflow_versions (
    workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    definition  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE workflow_runs (
    id           INTEGER PRIMARY KEY,
    workflow_id  INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    trigger_data TEXT    NOT NULL,
    depth        INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX workflow_runs_by_workflow ON workflow_runs (workflow_id, id);

CREATE TABLE workflow_step_runs (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    step_id     TEXT    NOT NULL,
    op          TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    input       TEXT,
    output      TEXT,
    error       TEXT    NOT NULL DEFAULT '',
    started_at  BIGINT  NOT NULL,
    finished_at BIGINT,
    UNIQUE (run_id, path)
);
