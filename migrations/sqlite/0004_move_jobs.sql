-- Large moves run as jobs, chunk by chunk; each chunk records its users' outcomes and the
-- job's counters in the same transaction as the move itself, so the job always tells the truth
-- about who has moved. The audit trail also records the pool each user left.

ALTER TABLE audit_event_users ADD COLUMN source_pool TEXT;

CREATE TABLE move_jobs (
    id               INTEGER PRIMARY KEY,
    operator_id      INTEGER REFERENCES operators (id),
    operator_name    TEXT    NOT NULL,
    destination_id   INTEGER NOT NULL REFERENCES pools (id),
    force            INTEGER NOT NULL CHECK (force IN (0, 1)),
    state            TEXT    NOT NULL
                     CHECK (state IN ('running', 'completed', 'cancelled', 'interrupted', 'failed')),
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    -- The AppError (JSON) a failed chunk ended with.
    error            TEXT,
    total            INTEGER NOT NULL CHECK (total > 0),
    done             INTEGER NOT NULL DEFAULT 0 CHECK (done BETWEEN 0 AND total),
    moved            INTEGER NOT NULL DEFAULT 0,
    refused          INTEGER NOT NULL DEFAULT 0,
    data_kept        INTEGER NOT NULL DEFAULT 0,
    data_lost        INTEGER NOT NULL DEFAULT 0,
    -- The audit event that collects the per-user outcomes.
    event_id         INTEGER NOT NULL REFERENCES audit_events (id),
    created_at       INTEGER NOT NULL,
    -- When the current run (start or resume) began, in milliseconds, and `done` at that moment.
    run_started_ms   INTEGER NOT NULL,
    run_started_done INTEGER NOT NULL DEFAULT 0,
    updated_ms       INTEGER NOT NULL,
    finished_at      INTEGER
) STRICT;
CREATE INDEX move_jobs_state ON move_jobs (state);

-- The users of a job in preview order; chunks take them by position. No foreign key to the
-- user: the record outlives a later deletion.
CREATE TABLE move_job_users (
    job_id       INTEGER NOT NULL REFERENCES move_jobs (id),
    position     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    outcome      TEXT    CHECK (outcome IN ('moved', 'refused')),
    reason       TEXT,
    data_kept    INTEGER NOT NULL DEFAULT 0,
    data_lost    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, position)
) STRICT, WITHOUT ROWID;
