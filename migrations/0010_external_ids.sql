-- ERP identity: the id a record has in the ERP, unique per tenant and source, so that
-- `PUT .../sync` and `POST .../bulk-sync` upsert by it (NULL for records the ERP never named).
ALTER TABLE jobs ADD COLUMN external_source TEXT;
ALTER TABLE jobs ADD COLUMN external_id TEXT;
ALTER TABLE parts ADD COLUMN external_source TEXT;
ALTER TABLE parts ADD COLUMN external_id TEXT;
ALTER TABLE operations ADD COLUMN external_source TEXT;
ALTER TABLE operations ADD COLUMN external_id TEXT;
ALTER TABLE cells ADD COLUMN external_source TEXT;
ALTER TABLE cells ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX jobs_by_external_id ON jobs (tenant_id, external_source, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX parts_by_external_id ON parts (tenant_id, external_source, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX operations_by_external_id ON operations (tenant_id, external_source, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX cells_by_external_id ON cells (tenant_id, external_source, external_id) WHERE external_id IS NOT NULL;
