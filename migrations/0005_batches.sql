-- Batches: laser nests, saw and tube batches, finishing batches: operations of many jobs
-- worked at once, their tracked time shared out when the batch stops.

CREATE TABLE batches (
  id              TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  batch_number    TEXT NOT NULL,
  batch_type      TEXT NOT NULL DEFAULT 'general'
                  CHECK (batch_type IN ('laser_nesting', 'tube_batch', 'saw_batch', 'finishing_batch', 'general')),
  status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'ready', 'in_progress', 'completed', 'cancelled')),
  cell_id         TEXT,
  material        TEXT,
  thickness_mm    NUMERIC CHECK (thickness_mm >= 0),
  parent_batch_id TEXT,
  notes           TEXT,
  operator_id     TEXT,
  started_at      TEXT,
  completed_at    TEXT,
  actual_time     NUMERIC,
  transition_id   TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, batch_number),
  FOREIGN KEY (tenant_id, cell_id) REFERENCES cells (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_batch_id) REFERENCES batches (tenant_id, id),
  FOREIGN KEY (tenant_id, operator_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX batches_by_tenant_created ON batches (tenant_id, created_at, id);
CREATE INDEX batches_by_tenant_status ON batches (tenant_id, status);

-- An operation's membership of a batch. `active` is 1 while the batch is draft, ready or
-- in_progress: an operation is in at most one active batch, which the database enforces.
CREATE TABLE batch_operations (
  batch_id     TEXT NOT NULL,
  operation_id TEXT NOT NULL,
  tenant_id    TEXT NOT NULL,
  position     INTEGER NOT NULL,
  active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  added_at     TEXT NOT NULL,
  PRIMARY KEY (batch_id, operation_id),
  FOREIGN KEY (tenant_id, batch_id) REFERENCES batches (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX batch_operations_one_active ON batch_operations (operation_id) WHERE active = 1;

-- A batch's transitions stamp it like an operation's (see 0002): the other statements of the
-- batch act only when it holds the token.
