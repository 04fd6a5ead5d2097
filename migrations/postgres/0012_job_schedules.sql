-- Job windows and pace (see the SQLite migration 0026 for the meaning of each column). A job
-- waiting for its start or its window is stored as `interrupted` with `waiting` set, the same
-- on both engines.
ALTER TABLE jobs ADD COLUMN schedule TEXT;
ALTER TABLE jobs ADD COLUMN waiting TEXT CHECK (waiting IN ('start', 'window'));
ALTER TABLE jobs ADD COLUMN wake_at_ms BIGINT;
CREATE INDEX jobs_waiting ON jobs (wake_at_ms) WHERE waiting IS NOT NULL;
ALTER TABLE previews ADD COLUMN schedule TEXT;
ALTER TABLE approval_requests ADD COLUMN schedule TEXT;
