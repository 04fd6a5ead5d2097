-- What a database holds (settings.deployment): 'demo' or 'company'. Until now every database
-- with pools was the generated demo; a new database gets its kind when it is first started.
INSERT INTO settings (key, value)
SELECT 'deployment', 'demo'
WHERE EXISTS (SELECT 1 FROM pools) AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'deployment');
