-- Several portals on one database: a running job belongs to the portal (replica) that holds
-- its lease, renewed while it works; another portal takes the job over once the lease has
-- expired. A job running before this migration has no runner and an expired lease.
ALTER TABLE jobs ADD COLUMN runner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_lease ON jobs (state, lease_until_ms);
