-- Two-person approval. The policy (which runs need a second operator) is the setting
-- `approval_policy` (JSON). A run it holds becomes a request: its preview's numbers, the
-- selection's fingerprint and its users (kept here, so that the request outlives the selection),
-- decided once by another operator. The audit event of an approved run names its approver.

CREATE TABLE approval_requests (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('enable', 'move', 'delete', 'configure', 'org_move', 'undo')),
    options        TEXT    NOT NULL,
    force          INTEGER NOT NULL DEFAULT 0 CHECK (force IN (0, 1)),
    reason         TEXT    NOT NULL CHECK (reason IN ('force_move', 'delete', 'org_move', 'many_users')),
    requester_id   INTEGER NOT NULL REFERENCES operators (id),
    requester_name TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'outdated')),
    users          INTEGER NOT NULL,
    changing       INTEGER NOT NULL,
    data_lost      INTEGER NOT NULL,
    target         TEXT,
    fingerprint    TEXT    NOT NULL,
    needs_password INTEGER NOT NULL DEFAULT 0 CHECK (needs_password IN (0, 1)),
    decided_by     TEXT,
    decided_at     INTEGER,
    comment        TEXT,
    job_id         INTEGER,
    event_id       INTEGER
) STRICT;
CREATE INDEX approval_requests_state ON approval_requests (state, created_at);

CREATE TABLE approval_users (
    request_id INTEGER NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (request_id, position)
) STRICT, WITHOUT ROWID;

-- The operator who approved the change an event records (NULL: none was needed).
ALTER TABLE audit_events ADD COLUMN approved_by TEXT;
