-- Enterprise organizations: the enterprise organization (no parent) and its sub-organizations,
-- each directory user's membership (with the Prevent User Move lock and household), the roles
-- users hold in organizations, attributes and which organizations use them, alerts with their
-- targets and the snapshot of whom a sent alert reached, and the move history.

CREATE TABLE organizations (
    id        INTEGER PRIMARY KEY,
    name      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    -- NULL only for the enterprise organization; sub-organizations hang from it.
    parent_id INTEGER REFERENCES organizations (id)
) STRICT;
-- Exactly one enterprise organization.
CREATE UNIQUE INDEX organizations_one_enterprise ON organizations ((parent_id IS NULL)) WHERE parent_id IS NULL;

CREATE TABLE households (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL
) STRICT;

-- Every directory user belongs to exactly one organization.
CREATE TABLE org_members (
    user_id      INTEGER PRIMARY KEY REFERENCES directory_users (id) ON DELETE CASCADE,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    prevent_move INTEGER NOT NULL DEFAULT 0 CHECK (prevent_move IN (0, 1)),
    household_id INTEGER REFERENCES households (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX org_members_org ON org_members (org_id);
CREATE INDEX org_members_household ON org_members (household_id) WHERE household_id IS NOT NULL;

CREATE TABLE org_roles (
    user_id INTEGER NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
    org_id  INTEGER NOT NULL REFERENCES organizations (id),
    role    TEXT    NOT NULL CHECK (role IN ('enterprise_administrator', 'organization_administrator',
                                             'alert_manager', 'alert_sender', 'viewer')),
    PRIMARY KEY (user_id, org_id, role)
) STRICT, WITHOUT ROWID;

-- Attributes (personal device addresses and the like) are the user's and survive moves; an
-- organization lists the attributes it uses, the others show as inactive there.
CREATE TABLE user_attributes (
    user_id INTEGER NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (user_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE org_attributes (
    org_id INTEGER NOT NULL REFERENCES organizations (id),
    name   TEXT    NOT NULL,
    PRIMARY KEY (org_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    title      TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('draft', 'scheduled', 'sent')),
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
) STRICT;
CREATE INDEX alerts_org ON alerts (org_id, state);

-- Whom a draft or scheduled alert targets: members of the alert's organization only.
CREATE TABLE alert_targets (
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
    PRIMARY KEY (alert_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX alert_targets_user ON alert_targets (user_id);

-- The report of a sent alert: whom it was sent to, as they were then. Never changes.
CREATE TABLE alert_recipients (
    alert_id     INTEGER NOT NULL REFERENCES alerts (id),
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    org_name     TEXT    NOT NULL,
    PRIMARY KEY (alert_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER alert_recipients_append_only_update BEFORE UPDATE ON alert_recipients
BEGIN SELECT RAISE(ABORT, 'alert reports cannot be changed'); END;
CREATE TRIGGER alert_recipients_append_only_delete BEFORE DELETE ON alert_recipients
BEGIN SELECT RAISE(ABORT, 'alert reports cannot be changed'); END;

-- Move history: who moved, when, from and to, the roles revoked, and who moved along. Names
-- are kept as they were so that the history outlives renames and deletions.
CREATE TABLE org_moves (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    event_id      INTEGER REFERENCES audit_events (id),
    operator_name TEXT    NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('manual', 'csv', 'sync')),
    user_id       INTEGER NOT NULL,
    display_name  TEXT    NOT NULL,
    from_org      INTEGER NOT NULL,
    from_name     TEXT    NOT NULL,
    to_org        INTEGER NOT NULL,
    to_name       TEXT    NOT NULL,
    -- JSON array of role codes.
    revoked_roles TEXT    NOT NULL DEFAULT '[]',
    along_with    TEXT
) STRICT;
CREATE INDEX org_moves_user ON org_moves (user_id, id);
CREATE INDEX org_moves_from ON org_moves (from_org, id);
CREATE INDEX org_moves_to ON org_moves (to_org, id);
CREATE TRIGGER org_moves_append_only_update BEFORE UPDATE ON org_moves
BEGIN SELECT RAISE(ABORT, 'move history cannot be changed'); END;
CREATE TRIGGER org_moves_append_only_delete BEFORE DELETE ON org_moves
BEGIN SELECT RAISE(ABORT, 'move history cannot be deleted'); END;

-- The enterprise organization exists from the start; every directory user is a member until
-- moved into a sub-organization.
INSERT INTO organizations (id, name, parent_id)
SELECT 1, COALESCE((SELECT value FROM settings WHERE key = 'forest_name'), 'Enterprise'), NULL;
INSERT INTO org_members (user_id, org_id) SELECT id, 1 FROM directory_users;
-- New directory users join the enterprise organization unless placed elsewhere.
CREATE TRIGGER directory_users_join_enterprise AFTER INSERT ON directory_users
BEGIN
    INSERT INTO org_members (user_id, org_id)
    VALUES (NEW.id, (SELECT id FROM organizations WHERE parent_id IS NULL));
END;
