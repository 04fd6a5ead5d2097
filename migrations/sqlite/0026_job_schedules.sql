-- Job windows and pace: a job may start at a time, run only inside a daily maintenance window,
-- and keep a least time between its chunks. `schedule` is the resolved schedule (JSON: start,
-- window, pace, time zone), kept with the job and, until its run, with its preview.
--
-- A job waiting for its start or for its window to open is stored as `interrupted` with
-- `waiting` set (`start` or `window`) and `wake_at_ms` the instant it may work again: no
-- replica drives it, a restart leaves it alone, cancelling closes it at once, and the schedule
-- keeper (or an operator's "Start now") takes it up like a resume. The portal shows it as
-- scheduled or paused. (SQLite cannot change the state CHECK in place without rebuilding the
-- tables that refer to `jobs`.)
ALTER TABLE jobs ADD COLUMN schedule TEXT;
ALTER TABLE jobs ADD COLUMN waiting TEXT CHECK (waiting IN ('start', 'window'));
ALTER TABLE jobs ADD COLUMN wake_at_ms INTEGER;
CREATE INDEX jobs_waiting ON jobs (wake_at_ms) WHERE waiting IS NOT NULL;
ALTER TABLE previews ADD COLUMN schedule TEXT;
ALTER TABLE approval_requests ADD COLUMN schedule TEXT;
