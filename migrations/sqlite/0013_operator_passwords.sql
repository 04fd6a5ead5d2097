-- A password set by someone else (a one-time password from an administrator or the command
-- line) must be replaced by the operator at their next sign-in before anything else.
ALTER TABLE operators ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
