-- Times are Unix milliseconds (UTC) on both engines, so rows compare and sort
-- the same everywhere.
CREATE TABLE workspaces (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at BIGINT  NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT    PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    rate_limit   INTEGER,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    public_id         TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    display_name      TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL,
    email_lower       TEXT    NOT NULL,
    role              TEXT    NOT NULL,
    language          TEXT    NOT NULL,
    timezone          TEXT    NOT NULL,
    occupation        TEXT    NOT NULL DEFAULT '',
    location          TEXT    NOT NULL DEFAULT '',
    bio               TEXT    NOT NULL DEFAULT '',
    from_api          BOOLEAN NOT NULL DEFAULT TRUE,
    status            TEXT    NOT NULL DEFAULT 'active',
    password_hash     TEXT,
    custom_attributes TEXT    NOT NULL DEFAULT '{}',
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    UNIQUE (workspace_id, public_id),
    UNIQUE (workspace_id, email_lower)
);
CREATE INDEX users_by_name ON users (workspace_id, name, public_id);

CREATE TABLE idempotency_keys (
    api_key_id   TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    done         BOOLEAN NOT NULL DEFAULT FALSE,
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT    NOT NULL DEFAULT '',
    body         BLOB,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (api_key_id, method, path, idem_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
