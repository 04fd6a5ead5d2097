-- Undo: every bulk change (move, force move, delete, configure, organization move, and an undo
-- itself) keeps, per user it changed, the rows it changed as they were before, for a retention
-- period. An undo is a job of the new kind `undo` that puts them back; its users' outcome is
-- `restored`, or `skipped` with the reason.
--
-- `undo_snapshots`: one per change, named by its audit event (and its job, if it ran as one).
-- `undo_users`: each user the change changed, with a signature of their state right after it
--   (a user whose signature differs now was changed again since, and is skipped), and the undo
--   job that put them back.
-- `undo_rows`: the user's rows before the change, one JSON array per row, by table.
--
-- `jobs`, `job_users` and `previews` are rebuilt first for the new kind and outcome (SQLite
-- cannot change a CHECK in place).

CREATE TABLE jobs_v3 (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('move', 'delete', 'configure', 'org_move', 'undo')),
    operator_id      INTEGER REFERENCES operators (id),
    operator_name    TEXT    NOT NULL,
    destination_id   INTEGER REFERENCES pools (id),
    force            INTEGER NOT NULL DEFAULT 0 CHECK (force IN (0, 1)),
    settings         TEXT,
    state            TEXT    NOT NULL
                     CHECK (state IN ('running', 'completed', 'cancelled', 'interrupted', 'failed')),
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    error            TEXT,
    total            INTEGER NOT NULL CHECK (total > 0),
    done             INTEGER NOT NULL DEFAULT 0 CHECK (done BETWEEN 0 AND total),
    moved            INTEGER NOT NULL DEFAULT 0,
    refused          INTEGER NOT NULL DEFAULT 0,
    data_kept        INTEGER NOT NULL DEFAULT 0,
    data_lost        INTEGER NOT NULL DEFAULT 0,
    event_id         INTEGER NOT NULL REFERENCES audit_events (id),
    created_at       INTEGER NOT NULL,
    run_started_ms   INTEGER NOT NULL,
    run_started_done INTEGER NOT NULL DEFAULT 0,
    updated_ms       INTEGER NOT NULL,
    finished_at      INTEGER,
    resume_at_start  INTEGER NOT NULL DEFAULT 0,
    runner           TEXT,
    lease_until_ms   INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind = 'move') = (destination_id IS NOT NULL)),
    CHECK ((kind IN ('configure', 'org_move', 'undo')) = (settings IS NOT NULL))
) STRICT;
INSERT INTO jobs_v3 SELECT * FROM jobs;

CREATE TABLE job_users_v3 (
    job_id       INTEGER NOT NULL REFERENCES jobs_v3 (id),
    position     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    -- An organization move: the chosen user this one moves along with (same household).
    along_with   INTEGER,
    outcome      TEXT    CHECK (outcome IN ('moved', 'refused', 'deleted', 'configured', 'skipped', 'restored')),
    reason       TEXT,
    data_kept    INTEGER NOT NULL DEFAULT 0,
    data_lost    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, position)
) STRICT, WITHOUT ROWID;
INSERT INTO job_users_v3 SELECT * FROM job_users;

CREATE TABLE previews_v2 (
    token_hash   TEXT    PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    selection_id INTEGER NOT NULL REFERENCES selections (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('enable', 'move', 'delete', 'configure', 'org_move', 'undo')),
    options      TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    used_at      INTEGER
) STRICT, WITHOUT ROWID;
INSERT INTO previews_v2 SELECT * FROM previews;

DROP TABLE previews;
DROP TABLE job_users;
DROP TABLE jobs;
ALTER TABLE jobs_v3 RENAME TO jobs;
ALTER TABLE job_users_v3 RENAME TO job_users;
ALTER TABLE previews_v2 RENAME TO previews;
CREATE INDEX jobs_state ON jobs (state);
CREATE INDEX jobs_lease ON jobs (state, lease_until_ms);
CREATE INDEX previews_selection ON previews (selection_id);

CREATE TABLE undo_snapshots (
    id         INTEGER PRIMARY KEY,
    -- Set in the transaction of the change, once it has written its audit event.
    event_id   INTEGER UNIQUE REFERENCES audit_events (id),
    job_id     INTEGER REFERENCES jobs (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('move', 'delete', 'configure', 'org_move', 'undo')),
    -- Whether the change deleted user data (a force move, a delete): its undo asks for the
    -- operator's password again.
    data_lost  INTEGER NOT NULL DEFAULT 0 CHECK (data_lost IN (0, 1)),
    -- JSON array of the tables whose rows were kept.
    tables     TEXT    NOT NULL,
    users      INTEGER NOT NULL DEFAULT 0,
    bytes      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX undo_snapshots_expires ON undo_snapshots (expires_at);
CREATE INDEX undo_snapshots_job ON undo_snapshots (job_id);

CREATE TABLE undo_users (
    snapshot_id INTEGER NOT NULL REFERENCES undo_snapshots (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    display_name TEXT   NOT NULL,
    after       TEXT    NOT NULL,
    undone_by   INTEGER,
    PRIMARY KEY (snapshot_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE undo_rows (
    snapshot_id INTEGER NOT NULL REFERENCES undo_snapshots (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    tbl         TEXT    NOT NULL,
    row         TEXT    NOT NULL
) STRICT;
CREATE INDEX undo_rows_user ON undo_rows (snapshot_id, user_id);
