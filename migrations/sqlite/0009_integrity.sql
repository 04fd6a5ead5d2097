-- Integrity under load.
--
-- 1. Jobs of every bulk kind: large deletes and configurations run in committed chunks like
--    moves. `move_jobs`/`move_job_users` become `jobs`/`job_users` with a kind; a move names
--    its destination, a configuration its settings change (JSON). The counters keep their
--    meaning per kind: `moved` counts the users the job changed (moved, deleted, configured),
--    `refused` those it left alone (refused, skipped), `data_lost` the items a delete removed.
-- 2. Failed sign-ins are counted per client address and 15-minute window, so that a flood is
--    audited as a few summaries instead of one event per request.
-- 3. One-time download tickets: a backup download is authorized by a password confirmation.

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('move', 'delete', 'configure')),
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
    CHECK ((kind = 'configure') = (settings IS NOT NULL))
) STRICT;
INSERT INTO jobs (id, kind, operator_id, operator_name, destination_id, force, state, cancel_requested,
                  error, total, done, moved, refused, data_kept, data_lost, event_id, created_at,
                  run_started_ms, run_started_done, updated_ms, finished_at)
    SELECT id, 'move', operator_id, operator_name, destination_id, force, state, cancel_requested,
           error, total, done, moved, refused, data_kept, data_lost, event_id, created_at,
           run_started_ms, run_started_done, updated_ms, finished_at
    FROM move_jobs;
CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE job_users (
    job_id       INTEGER NOT NULL REFERENCES jobs (id),
    position     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    outcome      TEXT    CHECK (outcome IN ('moved', 'refused', 'deleted', 'configured', 'skipped')),
    reason       TEXT,
    data_kept    INTEGER NOT NULL DEFAULT 0,
    data_lost    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, position)
) STRICT, WITHOUT ROWID;
INSERT INTO job_users SELECT job_id, position, user_id, display_name, outcome, reason, data_kept, data_lost
    FROM move_job_users;

DROP TABLE move_job_users;
DROP TABLE move_jobs;

CREATE TABLE sign_in_failure_windows (
    -- A client address (IPv6 by /64), or '*' for all addresses together.
    address      TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    PRIMARY KEY (address, window_start)
) STRICT, WITHOUT ROWID;
CREATE INDEX sign_in_failure_windows_start ON sign_in_failure_windows (window_start);
CREATE INDEX sign_in_throttle_last_failure ON sign_in_throttle (last_failure_at);

CREATE TABLE download_tickets (
    token_hash  TEXT    PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    file        TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Password checks in progress, per throttle key: a key admits no more checks at once than it
-- has failures left before its lockout. A row outlives its check only if the request vanished;
-- it is ignored and removed after two minutes.
CREATE TABLE sign_in_pending (
    id         INTEGER PRIMARY KEY,
    scope      TEXT    NOT NULL CHECK (scope IN ('account', 'address')),
    key        TEXT    NOT NULL,
    started_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_pending_key ON sign_in_pending (scope, key);
CREATE INDEX sign_in_pending_started ON sign_in_pending (started_at);
