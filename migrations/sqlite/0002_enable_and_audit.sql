-- SIP domains the deployment supports (chosen in the Enable Users wizard), and the audit
-- trail: one event per operation with its per-user outcomes. Audit records are append-only.

CREATE TABLE sip_domains (
    domain     TEXT    PRIMARY KEY COLLATE NOCASE,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
) STRICT;

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    -- The operator's name is kept as it was, so the record outlives renames.
    operator_id   INTEGER REFERENCES operators (id),
    operator_name TEXT    NOT NULL,
    operation     TEXT    NOT NULL,
    -- JSON object of the operation's parameters (pool, options, ...).
    parameters    TEXT    NOT NULL DEFAULT '{}',
    target_count  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_operation ON audit_events (operation, at);

CREATE TABLE audit_event_users (
    event_id     INTEGER NOT NULL REFERENCES audit_events (id),
    user_id      INTEGER NOT NULL,
    object_guid  TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    sip_uri      TEXT,
    outcome      TEXT    NOT NULL,
    reason       TEXT,
    PRIMARY KEY (event_id, user_id)
) STRICT;
CREATE INDEX audit_event_users_user ON audit_event_users (user_id);

CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed'); END;
CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit records cannot be deleted'); END;
CREATE TRIGGER audit_event_users_append_only_update BEFORE UPDATE ON audit_event_users
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed'); END;
CREATE TRIGGER audit_event_users_append_only_delete BEFORE DELETE ON audit_event_users
BEGIN SELECT RAISE(ABORT, 'audit records cannot be deleted'); END;
