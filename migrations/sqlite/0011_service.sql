-- A job suspended by a clean shutdown (SIGTERM, Ctrl-C) between two chunks: the next start
-- resumes it. A job found running after a crash is only marked interrupted, for an operator.
ALTER TABLE jobs ADD COLUMN resume_at_start INTEGER NOT NULL DEFAULT 0;
