-- Quality: issues and non-conformance reports (NCRs), and the per-tenant, per-year NCR
-- number sequence.

CREATE TABLE issues (
  id                    TEXT PRIMARY KEY,
  tenant_id             TEXT NOT NULL,
  operation_id          TEXT NOT NULL,
  issue_type            TEXT NOT NULL DEFAULT 'general' CHECK (issue_type IN ('general', 'ncr')),
  ncr_number            TEXT,
  title                 TEXT NOT NULL,
  description           TEXT,
  severity              TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  status                TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  ncr_category          TEXT CHECK (ncr_category IN ('material', 'process', 'equipment', 'design', 'supplier', 'documentation', 'other')),
  disposition           TEXT CHECK (disposition IN ('use_as_is', 'rework', 'repair', 'scrap', 'return_to_supplier')),
  root_cause            TEXT,
  corrective_action     TEXT,
  preventive_action     TEXT,
  affected_quantity     INTEGER CHECK (affected_quantity >= 0),
  verification_required INTEGER NOT NULL DEFAULT 0 CHECK (verification_required IN (0, 1)),
  reported_by_id        TEXT,
  resolved_by_id        TEXT,
  verified_by_id        TEXT,
  resolved_at           TEXT,
  verified_at           TEXT,
  resolution_notes      TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, ncr_number),
  FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, reported_by_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, resolved_by_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, verified_by_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX issues_by_tenant_created ON issues (tenant_id, created_at, id);
CREATE INDEX issues_by_tenant_status ON issues (tenant_id, status, created_at);
CREATE INDEX issues_by_operation ON issues (tenant_id, operation_id);

-- The last NCR number handed out per tenant and year. Incremented by an upsert inside the
-- same atomic write as the NCR itself, so concurrent creates get distinct consecutive
-- numbers, and a number once given is never given again (deleting an NCR does not free it).
CREATE TABLE ncr_sequences (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  year      INTEGER NOT NULL,
  last      INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, year)
);
