-- Groups, custom attribute definitions, courses, course assignments and
-- enrollments. Group and course ids are global integers; every query also
-- filters by workspace_id, so another workspace's id is simply not found.
-- Membership and enrollment rows reference users and groups by their integer
-- keys, so fan-out is compact set-based SQL; WITHOUT ROWID keeps each of them
-- one B-tree keyed by its primary key (SQLite).
CREATE TABLE groups (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Deleting a group first moves its children up to its own parent.
    parent_id         INTEGER REFERENCES groups (id),
    name              TEXT    NOT NULL,
    name_lower        TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    custom_attributes TEXT    NOT NULL DEFAULT '{}',
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX groups_by_name ON groups (workspace_id, name, id);
CREATE INDEX groups_by_name_lower ON groups (workspace_id, name_lower);
CREATE INDEX groups_by_parent ON groups (parent_id);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at BIGINT  NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user_id);

-- Custom attribute definitions for users and groups (entity 'user' or 'group').
CREATE TABLE attribute_definitions (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    entity       TEXT    NOT NULL,
    attr_key     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    options      TEXT    NOT NULL DEFAULT '[]',
    multiple     BOOLEAN NOT NULL DEFAULT FALSE,
    is_required  BOOLEAN NOT NULL DEFAULT FALSE,
    is_visible   BOOLEAN NOT NULL DEFAULT TRUE,
    is_editable  BOOLEAN NOT NULL DEFAULT TRUE,
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    UNIQUE (workspace_id, entity, attr_key)
);

-- Per workspace and entity: whether customAttributes may hold keys that have
-- no definition. No row means they may.
CREATE TABLE attribute_settings (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    entity        TEXT    NOT NULL,
    allow_unknown BOOLEAN NOT NULL,
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, entity)
);

CREATE TABLE courses (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The exporter's id; imports upsert on it. NULL for courses made in Roster.
    external_id      TEXT,
    name             TEXT    NOT NULL,
    annotation       TEXT    NOT NULL DEFAULT '',
    description      TEXT    NOT NULL DEFAULT '',
    category         TEXT    NOT NULL DEFAULT '',
    language         TEXT    NOT NULL DEFAULT '',
    url              TEXT    NOT NULL DEFAULT '',
    duration_minutes INTEGER NOT NULL DEFAULT 0,
    is_draft         BOOLEAN NOT NULL DEFAULT FALSE,
    status           TEXT    NOT NULL DEFAULT 'active',
    published_at     BIGINT,
    archived_at      BIGINT,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    UNIQUE (workspace_id, external_id)
);
CREATE INDEX courses_by_name ON courses (workspace_id, name, id);

-- A course assigned to a group is a rule: present and future members (and,
-- with include_subgroups, members of its subgroups) are enrolled.
CREATE TABLE course_group_assignments (
    course_id         INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    group_id          INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    include_subgroups BOOLEAN NOT NULL DEFAULT FALSE,
    assigned_at       BIGINT  NOT NULL,
    deadline_at       BIGINT,
    PRIMARY KEY (course_id, group_id)
) WITHOUT ROWID;
CREATE INDEX course_group_assignments_by_group ON course_group_assignments (group_id);

-- One row per user and course. direct: assigned to the user by name; group
-- sources are derived from the rules and memberships when shown. course_id
-- has no foreign key: checking it cost a quarter of a 100,000-member fan-out
-- on PostgreSQL, and the one place that deletes courses deletes their
-- enrollments in the same transaction. user_id keeps its cascade, so every
-- way of deleting a user cleans up.
CREATE TABLE enrollments (
    course_id    INTEGER NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL,
    direct       BOOLEAN NOT NULL DEFAULT FALSE,
    status       TEXT    NOT NULL,
    assigned_at  BIGINT  NOT NULL,
    deadline_at  BIGINT,
    started_at   BIGINT,
    completed_at BIGINT,
    progress     INTEGER NOT NULL DEFAULT 0,
    result       INTEGER,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (course_id, user_id)
) WITHOUT ROWID;
CREATE INDEX enrollments_by_user ON enrollments (user_id);
CREATE INDEX enrollments_by_status ON enrollments (workspace_id, status);
CREATE INDEX enrollments_due ON enrollments (deadline_at) WHERE status IN ('assigned', 'in_progress');
