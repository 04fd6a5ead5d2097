-- Operators who sign in with their directory account: no local password, roles from their
-- groups. Sessions remember when the directory last confirmed those groups.
ALTER TABLE operators ADD COLUMN source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'directory'));
ALTER TABLE sessions ADD COLUMN checked_at INTEGER NOT NULL DEFAULT 0;
