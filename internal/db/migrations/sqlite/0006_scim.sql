-- SCIM-only data beside users and groups. Roster's own tables stay the source
-- of truth; these hold what an identity provider sent that Roster has no
-- field for: its externalId; a userName that is not the user's email (NULL
-- when it is: then userName is users.email); and "echo" values
-- (name.givenName, locale, ...) kept as sent together with the Roster value
-- they were mapped to, so they are shown back only while that value is
-- unchanged. Deleting the user or group deletes its row.
CREATE TABLE scim_users (
    user_id         INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    external_id     TEXT,
    -- user_name_lower is strings.ToLower(user_name), for case-insensitive
    -- uniqueness and lookups.
    user_name       TEXT,
    user_name_lower TEXT,
    echo            TEXT    NOT NULL DEFAULT '{}',
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX scim_users_by_external_id ON scim_users (workspace_id, external_id);
CREATE UNIQUE INDEX scim_users_user_name ON scim_users (workspace_id, user_name_lower);

CREATE TABLE scim_groups (
    group_id     INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    external_id  TEXT,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX scim_groups_by_external_id ON scim_groups (workspace_id, external_id);
