-- Nothing an ERP mirrors disappears without a trace.

-- Booked labour deleted with its operation (a job, part or operation delete cascades to it)
-- is in the deletion feed like every other record.
CREATE TRIGGER time_entries_deleted AFTER DELETE ON time_entries BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'time_entry', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- A part whose parent is deleted loses its parent_part_id (ON DELETE SET NULL): that is a
-- change, so it gets a new updated_at and `updated_since` finds it. The foreign key's action
-- is an UPDATE, so this fires for it, and only for it: the parent is gone by then. A PATCH
-- that clears the parent stamps updated_at itself.
CREATE TRIGGER parts_orphaned AFTER UPDATE OF parent_part_id ON parts
WHEN OLD.parent_part_id IS NOT NULL AND NEW.parent_part_id IS NULL AND NOT EXISTS (SELECT 1 FROM parts WHERE id = OLD.parent_part_id) BEGIN
  UPDATE parts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
