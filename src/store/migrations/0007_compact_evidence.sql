-- The run ledger says when each list was read: milliseconds from the
-- start of the run to its first request and to its last answer, so a
-- run shows how long each kind (ARM reads, cost queries) took. 0 for runs
-- collected before this. Timings are measurements, not evidence: the run
-- hash does not cover them.
ALTER TABLE run_ledger ADD COLUMN started_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run_ledger ADD COLUMN finished_ms INTEGER NOT NULL DEFAULT 0;

-- A response's x-ms-request-id is kept as 16 bytes when it is a GUID in
-- its canonical lower-case form (8-4-4-4-12 hex digits), which turns back
-- into the same text exactly; any other id stays text. Rows written
-- before keep their text. evidence_log shows both as the text received,
-- so the run hash (which reads evidence_log) covers the same values.
DROP VIEW evidence_log;
CREATE VIEW evidence_log AS
SELECT e.id, e.run_id, e.seq, q.kind, q.subject, q.method, q.url,
       nullif(q.body, '') AS request_body, e.status,
       CASE WHEN typeof(e.request_id) = 'blob' THEN
         lower(substr(hex(e.request_id), 1, 8) || '-' ||
               substr(hex(e.request_id), 9, 4) || '-' ||
               substr(hex(e.request_id), 13, 4) || '-' ||
               substr(hex(e.request_id), 17, 4) || '-' ||
               substr(hex(e.request_id), 21, 12))
       ELSE e.request_id END AS request_id,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.fetched_at, 'unixepoch') AS fetched_at,
       e.projected, b.sha256, b.size, e.body
FROM evidence e
JOIN requests q ON q.id = e.request
JOIN bodies b ON b.id = e.body;
