-- Indexes found by the benchmark's rows-read figures. A foreign key's child lookup (each
-- cascade step of a DELETE, each "is it still used" check) needs an index whose leftmost
-- columns are the child key columns; our keys are (tenant_id, parent_id), which the earlier
-- indexes (parent_id first, or tenant_id with another column) did not serve, so every step
-- scanned. And with no statistics, SQLite preferred a single-column tenant index over the
-- selective one for a job's parts.

CREATE INDEX parts_by_job ON parts (tenant_id, job_id, part_number);
CREATE INDEX parts_by_cell ON parts (tenant_id, current_cell_id);
CREATE INDEX jobs_by_cell ON jobs (tenant_id, current_cell_id);
CREATE INDEX operations_by_part ON operations (tenant_id, part_id, sequence);
CREATE INDEX substeps_by_operation ON substeps (tenant_id, operation_id, sequence);
CREATE INDEX time_entries_by_tenant_operation ON time_entries (tenant_id, operation_id);
CREATE INDEX batch_operations_by_batch ON batch_operations (tenant_id, batch_id, position);
CREATE INDEX batch_operations_by_operation ON batch_operations (tenant_id, operation_id);
CREATE INDEX batches_by_cell ON batches (tenant_id, cell_id);
CREATE INDEX batches_by_parent ON batches (tenant_id, parent_batch_id);
CREATE INDEX batches_by_operator ON batches (tenant_id, operator_id);
CREATE INDEX issues_by_reporter ON issues (tenant_id, reported_by_id);
CREATE INDEX issues_by_resolver ON issues (tenant_id, resolved_by_id);
CREATE INDEX issues_by_verifier ON issues (tenant_id, verified_by_id);
