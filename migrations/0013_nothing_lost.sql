-- Nothing an ERP mirrors disappears without a trace.

-- Booked labour deleted with its operation (a job, part or operation delete cascades to it)
-- is in the deletion feed like every other record.
CREATE TRIGGER time_entries_deleted AFTER DELETE ON time_entries BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'time_entry', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- A part whose parent is deleted loses its parent_part_id (ON DELETE SET NULL): that is a
-- change, so it gets a new updated_at and `updated_since` finds it. BEFORE the delete, while
-- the children still name their parent.
CREATE TRIGGER parts_orphaned BEFORE DELETE ON parts BEGIN
  UPDATE parts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = OLD.tenant_id AND parent_part_id = OLD.id;
END;
