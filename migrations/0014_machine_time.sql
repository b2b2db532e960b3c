-- Machine time: work no operator attends (a laser cutting a nest) is recorded as time entries
-- without an operator, of type 'machine'; labour always names its operator. SQLite cannot
-- relax NOT NULL or a CHECK in place, so the table is rebuilt with its indexes and trigger.
-- Nothing references time_entries, and DROP TABLE fires no delete trigger, so the deletion
-- feed is untouched.
CREATE TABLE time_entries_new (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  operation_id TEXT NOT NULL,
  operator_id  TEXT,
  start_time   TEXT NOT NULL,
  end_time     TEXT,
  duration     NUMERIC CHECK (duration >= 0),
  time_type    TEXT NOT NULL DEFAULT 'run' CHECK (time_type IN ('setup', 'run', 'rework', 'wait', 'breakdown', 'machine')),
  notes        TEXT,
  created_at   TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  CHECK ((operator_id IS NULL) = (time_type = 'machine')),
  FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, operator_id) REFERENCES users (tenant_id, id)
);
INSERT INTO time_entries_new (id, tenant_id, operation_id, operator_id, start_time, end_time, duration, time_type, notes, created_at)
  SELECT id, tenant_id, operation_id, operator_id, start_time, end_time, duration, time_type, notes, created_at FROM time_entries;
DROP TABLE time_entries;
ALTER TABLE time_entries_new RENAME TO time_entries;
CREATE UNIQUE INDEX time_entries_one_open ON time_entries (operation_id) WHERE end_time IS NULL;
CREATE INDEX time_entries_by_tenant_start ON time_entries (tenant_id, start_time, id);
CREATE INDEX time_entries_by_operation ON time_entries (operation_id, start_time);
CREATE INDEX time_entries_by_operator ON time_entries (tenant_id, operator_id, start_time);
CREATE INDEX time_entries_by_tenant_operation ON time_entries (tenant_id, operation_id);
CREATE TRIGGER time_entries_deleted AFTER DELETE ON time_entries BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'time_entry', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
