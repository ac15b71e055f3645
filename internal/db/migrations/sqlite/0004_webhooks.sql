-- Outgoing webhooks: endpoints (Standard Webhooks and Zapier REST hooks),
-- one delivery per (event, endpoint) and one row per attempt. River's own
-- tables are created by River's migrations at start-up.
CREATE TABLE webhook_endpoints (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    public_id         TEXT    NOT NULL UNIQUE,
    kind              TEXT    NOT NULL,             -- webhook | rest_hook
    url               TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    event_types       TEXT    NOT NULL,             -- JSON array of types or patterns
    status            TEXT    NOT NULL,             -- active | paused | disabled | deleted
    disabled_reason   TEXT    NOT NULL DEFAULT '',
    secret_enc        TEXT    NOT NULL,             -- AES-GCM under the server key
    prev_secret_enc   TEXT,                         -- still signed with until prev_secret_until
    prev_secret_until BIGINT,
    failing_since     BIGINT,                       -- first failure since the last success
    exhausted_count   INTEGER NOT NULL DEFAULT 0,   -- deliveries given up since the last success
    last_success_at   BIGINT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    deleted_at        BIGINT
);
CREATE INDEX webhook_endpoints_by_workspace ON webhook_endpoints (workspace_id, status);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT    NOT NULL UNIQUE,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL,               -- also the webhook-id header
    event_type      TEXT    NOT NULL,
    occurred_at     BIGINT  NOT NULL,
    test_data       TEXT,                           -- payload of a test event (not in the log)
    state           TEXT    NOT NULL,               -- pending | succeeded | failed | cancelled
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_latency_ms INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_response   TEXT    NOT NULL DEFAULT '',
    next_attempt_at BIGINT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    completed_at    BIGINT
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    delivery_id      INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    attempted_at     BIGINT  NOT NULL,
    status_code      INTEGER,
    latency_ms       INTEGER NOT NULL,
    error            TEXT    NOT NULL DEFAULT '',
    response_excerpt TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);
