-- Production tracking: time entries, and the compare-and-set token of operation transitions.

-- Each lifecycle transition of an operation writes a fresh token here in its compare-and-set
-- update; the other statements of the same batch (time entries, roll-up, events) only act
-- when the operation holds that token, so a transition that lost the race changes nothing.
ALTER TABLE operations ADD COLUMN transition_id TEXT;

-- Labour: one row per stretch of work by one operator on one operation, in minutes.
CREATE TABLE time_entries (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  operation_id TEXT NOT NULL,
  operator_id  TEXT NOT NULL,
  start_time   TEXT NOT NULL,
  end_time     TEXT,
  duration     NUMERIC CHECK (duration >= 0),
  time_type    TEXT NOT NULL DEFAULT 'run' CHECK (time_type IN ('setup', 'run', 'rework', 'wait', 'breakdown')),
  notes        TEXT,
  created_at   TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, operator_id) REFERENCES users (tenant_id, id)
);
-- An operation has at most one open time entry: a second one cannot exist even by accident.
CREATE UNIQUE INDEX time_entries_one_open ON time_entries (operation_id) WHERE end_time IS NULL;
CREATE INDEX time_entries_by_tenant_start ON time_entries (tenant_id, start_time, id);
CREATE INDEX time_entries_by_operation ON time_entries (operation_id, start_time);
CREATE INDEX time_entries_by_operator ON time_entries (tenant_id, operator_id, start_time);
