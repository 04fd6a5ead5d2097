-- How the console looks for each operator: as their system is set, or always light or dark.
ALTER TABLE operators ADD COLUMN theme TEXT NOT NULL DEFAULT 'system' CHECK (theme IN ('system', 'light', 'dark'));
