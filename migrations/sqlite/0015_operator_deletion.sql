-- Deleted operators: kept as a row (the audit trail and jobs name them) but gone from every
-- list, unable to sign in, and their name is not given to anyone else.
ALTER TABLE operators ADD COLUMN deleted_at INTEGER;
