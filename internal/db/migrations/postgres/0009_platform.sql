-- Platform keys act across workspaces (Chatwoot's platform app token): they
-- manage workspaces and people's roles in them, and by themselves read no
-- workspace's data. Like api_keys, only the secret's SHA-256 is stored.
CREATE TABLE platform_keys (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- One-time sign-in links (Konstantly's /users/{id}/sso, Chatwoot's
-- /users/{id}/login): the token's SHA-256, a short expiry, used once.
CREATE TABLE login_links (
    token_hash   TEXT    PRIMARY KEY,
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    used_at      BIGINT
);
CREATE INDEX login_links_by_user ON login_links (user_id);
CREATE INDEX login_links_by_expiry ON login_links (expires_at);
