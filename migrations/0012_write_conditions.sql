-- Conditions carried into a write. D1 runs a batch as one transaction but has no way to abort
-- it on a condition, so a statement that must not commit unless something still holds inserts
-- a row here exactly when it no longer holds. Every CHECK refuses its row, the whole batch rolls
-- back, and SQLite's error names the constraint, which says why (see sql::Condition). No row
-- is ever stored.
CREATE TABLE write_conditions (
  failed TEXT NOT NULL,
  -- If-Match: the record still has the version the client's ETag was read from.
  CONSTRAINT if_match_failed CHECK (failed <> 'if_match'),
  -- A plan quota (jobs, parts) still has room for what the write adds.
  CONSTRAINT quota_exceeded CHECK (failed <> 'quota'),
  -- A record the write was planned from has not changed since it was read (ERP sync).
  CONSTRAINT record_changed CHECK (failed <> 'changed')
);
