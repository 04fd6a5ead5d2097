-- One shape for every operation.
--
-- 1. Selections: the users an operation takes, resolved on the server from what the browser
--    describes (ticked rows, a tree node, a search, a directory filter, an organization) and
--    stored in order, so that a preview and its run never carry user ids through the browser.
-- 2. Preview tokens: a preview stores what it planned (the operation, its options, and a
--    fingerprint of the plan); the run names only the token and refuses when the plan it
--    makes now has a different fingerprint (the users changed since the preview).
-- 3. Organization moves run on the job engine like the other bulk operations: `jobs` gains the
--    kind `org_move` (its destination and lock in `settings`), and each job user may note the
--    chosen user it moves along with (households).

CREATE TABLE selections (
    id          INTEGER PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    source      TEXT    NOT NULL,
    count       INTEGER NOT NULL CHECK (count > 0),
    fingerprint TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX selections_created ON selections (created_at);

CREATE TABLE selection_users (
    selection_id INTEGER NOT NULL REFERENCES selections (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    PRIMARY KEY (selection_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE previews (
    token_hash   TEXT    PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    selection_id INTEGER NOT NULL REFERENCES selections (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('enable', 'move', 'delete', 'configure', 'org_move')),
    options      TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    used_at      INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX previews_selection ON previews (selection_id);

CREATE TABLE jobs_v2 (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('move', 'delete', 'configure', 'org_move')),
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
    CHECK ((kind = 'move') = (destination_id IS NOT NULL)),
    CHECK ((kind IN ('configure', 'org_move')) = (settings IS NOT NULL))
) STRICT;
INSERT INTO jobs_v2 SELECT * FROM jobs;

CREATE TABLE job_users_v2 (
    job_id       INTEGER NOT NULL REFERENCES jobs_v2 (id),
    position     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    -- An organization move: the chosen user this one moves along with (same household).
    along_with   INTEGER,
    outcome      TEXT    CHECK (outcome IN ('moved', 'refused', 'deleted', 'configured', 'skipped')),
    reason       TEXT,
    data_kept    INTEGER NOT NULL DEFAULT 0,
    data_lost    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, position)
) STRICT, WITHOUT ROWID;
INSERT INTO job_users_v2 (job_id, position, user_id, display_name, outcome, reason, data_kept, data_lost)
    SELECT job_id, position, user_id, display_name, outcome, reason, data_kept, data_lost FROM job_users;

DROP TABLE job_users;
DROP TABLE jobs;
-- Renaming updates job_users_v2's reference to the new name.
ALTER TABLE jobs_v2 RENAME TO jobs;
ALTER TABLE job_users_v2 RENAME TO job_users;
CREATE INDEX jobs_state ON jobs (state);
