-- Audit streaming to a SIEM: for each configured sink (named by its target, e.g.
-- `udp://127.0.0.1:514`), the last audit event it received. Events are read from
-- audit_events after this cursor, so only committed events are ever sent, and the cursor moves
-- only after a send succeeded (at-least-once). The portal (replica) streaming a sink holds it
-- for a lease, renewed at each batch, so that two portals never stream to the same sink.
CREATE TABLE audit_stream_cursors (
    sink           TEXT   PRIMARY KEY,
    last_event_id  BIGINT NOT NULL DEFAULT 0,
    -- When the last batch was sent (Unix seconds).
    sent_at        BIGINT,
    holder         TEXT,
    lease_until_ms BIGINT NOT NULL DEFAULT 0
);
