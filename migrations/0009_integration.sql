-- Integrator-grade API: idempotent retries and a feed of deletions for incremental sync.

-- One row per tenant and Idempotency-Key, for 24 hours: the request's fingerprint and, once
-- answered, its status and body. The primary key is what makes a concurrent retry fail: the
-- claiming INSERT shares the atomic write batch of the change it protects.
CREATE TABLE idempotency_keys (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code  INTEGER,
  response     TEXT,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Every deleted record, whether deleted by a request or by a cascade, so that a syncing ERP
-- sees deletions (`GET /api-deletions?since=`). Kept 90 days (the contract promises 30).
-- No foreign key to tenants: deleting a tenant cascades into the triggers below, which must
-- not fail for the tenant already gone.
CREATE TABLE deletions (
  tenant_id  TEXT NOT NULL,
  entity     TEXT NOT NULL,
  id         TEXT NOT NULL,
  deleted_at TEXT NOT NULL
);
CREATE INDEX deletions_by_tenant_time ON deletions (tenant_id, deleted_at, id);
CREATE INDEX deletions_by_age ON deletions (deleted_at);

CREATE TRIGGER jobs_deleted AFTER DELETE ON jobs BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'job', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER parts_deleted AFTER DELETE ON parts BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'part', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER operations_deleted AFTER DELETE ON operations BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'operation', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER substeps_deleted AFTER DELETE ON substeps BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'substep', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER cells_deleted AFTER DELETE ON cells BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'cell', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER materials_deleted AFTER DELETE ON materials BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'material', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER users_deleted AFTER DELETE ON users BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'operator', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER issues_deleted AFTER DELETE ON issues BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'issue', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER batches_deleted AFTER DELETE ON batches BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'batch', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER webhooks_deleted AFTER DELETE ON webhooks BEGIN
  INSERT INTO deletions VALUES (OLD.tenant_id, 'webhook', OLD.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- `updated_since` on the large lists reads an index, not the tenant's every row.
CREATE INDEX jobs_by_update ON jobs (tenant_id, updated_at);
CREATE INDEX parts_by_update ON parts (tenant_id, updated_at);
CREATE INDEX operations_by_update ON operations (tenant_id, updated_at);
