-- Foundation: tenants, API keys, users, the job -> part -> operation -> substep hierarchy,
-- cells, materials, and the event outbox. Every tenant-owned table has UNIQUE (tenant_id, id) so that child tables reference
-- their parent through (tenant_id, parent_id): the database itself refuses a row that points
-- into another tenant. Timestamps are RFC 3339 UTC text with milliseconds (text order is time
-- order). Minutes are NUMERIC: whole minutes stay integers, fractions stay exact enough.

CREATE TABLE tenants (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  plan       TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'premium', 'enterprise')),
  created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  mode         TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  key_prefix   TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);
-- Authentication finds its candidate keys by the non-secret prefix.
CREATE INDEX api_keys_by_prefix ON api_keys (key_prefix);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id);

CREATE TABLE cells (
  id         TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name        TEXT NOT NULL COLLATE NOCASE,
  description TEXT,
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  -- ERP routings name work centers; names are unique per tenant, ignoring (ASCII) case.
  UNIQUE (tenant_id, name)
);

-- The people of a tenant: operators on the shop floor and admins. Operations' assigned
-- operator and lifecycle calls' user_id point here. A person who has worked is deactivated,
-- not deleted.
CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  full_name   TEXT NOT NULL,
  email       TEXT COLLATE NOCASE,
  employee_id TEXT COLLATE NOCASE,
  role        TEXT NOT NULL DEFAULT 'operator' CHECK (role IN ('admin', 'operator')),
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, email),
  UNIQUE (tenant_id, employee_id)
);

-- The tenant's material catalog (a part's material_id).
CREATE TABLE materials (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name        TEXT NOT NULL COLLATE NOCASE,
  description TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);

CREATE TABLE jobs (
  id                TEXT PRIMARY KEY,
  tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  job_number        TEXT NOT NULL,
  customer          TEXT,
  status            TEXT NOT NULL DEFAULT 'not_started'
                    CHECK (status IN ('not_started', 'in_progress', 'on_hold', 'completed')),
  priority          INTEGER CHECK (priority BETWEEN 0 AND 100),
  due_date          TEXT,
  due_date_override TEXT,
  description       TEXT,
  notes             TEXT,
  metadata          TEXT CHECK (metadata IS NULL OR json_type(metadata) = 'object'),
  current_cell_id   TEXT,
  started_at        TEXT,
  paused_at         TEXT,
  resumed_at        TEXT,
  completed_at      TEXT,
  actual_duration   INTEGER,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, job_number),
  FOREIGN KEY (tenant_id, current_cell_id) REFERENCES cells (tenant_id, id)
);
-- The default list order, and the status filter with it.
CREATE INDEX jobs_by_tenant_created ON jobs (tenant_id, created_at, id);
CREATE INDEX jobs_by_tenant_status_created ON jobs (tenant_id, status, created_at, id);
CREATE INDEX jobs_by_tenant_due ON jobs (tenant_id, due_date);

CREATE TABLE parts (
  id              TEXT PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  job_id          TEXT NOT NULL,
  parent_part_id  TEXT REFERENCES parts (id) ON DELETE SET NULL,
  part_number     TEXT NOT NULL,
  material        TEXT,
  material_id     TEXT,
  quantity        INTEGER NOT NULL CHECK (quantity >= 1),
  status          TEXT NOT NULL DEFAULT 'not_started'
                  CHECK (status IN ('not_started', 'in_progress', 'on_hold', 'completed')),
  current_cell_id TEXT,
  description     TEXT,
  notes           TEXT,
  drawing_url     TEXT,
  step_file_url   TEXT,
  file_paths      TEXT CHECK (file_paths IS NULL OR json_type(file_paths) = 'array'),
  metadata        TEXT CHECK (metadata IS NULL OR json_type(metadata) = 'object'),
  started_at      TEXT,
  completed_at    TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  -- Part numbers are unique within their job (the reference's rule).
  UNIQUE (job_id, part_number),
  FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, current_cell_id) REFERENCES cells (tenant_id, id),
  FOREIGN KEY (tenant_id, material_id) REFERENCES materials (tenant_id, id)
);
CREATE INDEX parts_by_tenant_status ON parts (tenant_id, status);
CREATE INDEX parts_by_tenant_created ON parts (tenant_id, created_at, id);
CREATE INDEX parts_by_material ON parts (tenant_id, material_id);
CREATE INDEX parts_by_parent ON parts (parent_part_id);

CREATE TABLE operations (
  id                    TEXT PRIMARY KEY,
  tenant_id             TEXT NOT NULL,
  part_id               TEXT NOT NULL,
  cell_id               TEXT,
  assigned_operator_id  TEXT,
  operation_name        TEXT NOT NULL,
  sequence              INTEGER NOT NULL CHECK (sequence >= 1),
  status                TEXT NOT NULL DEFAULT 'not_started'
                        CHECK (status IN ('not_started', 'in_progress', 'on_hold', 'completed')),
  estimated_time        NUMERIC CHECK (estimated_time >= 0),
  setup_time_minutes    NUMERIC CHECK (setup_time_minutes >= 0),
  actual_time           NUMERIC NOT NULL DEFAULT 0,
  completion_percentage INTEGER NOT NULL DEFAULT 0 CHECK (completion_percentage BETWEEN 0 AND 100),
  instructions          TEXT,
  notes                 TEXT,
  started_at            TEXT,
  paused_at             TEXT,
  resumed_at            TEXT,
  completed_at          TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (part_id, sequence),
  FOREIGN KEY (tenant_id, part_id) REFERENCES parts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, cell_id) REFERENCES cells (tenant_id, id),
  FOREIGN KEY (tenant_id, assigned_operator_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX operations_by_tenant_cell ON operations (tenant_id, cell_id);
CREATE INDEX operations_by_tenant_status ON operations (tenant_id, status);
CREATE INDEX operations_by_tenant_created ON operations (tenant_id, created_at, id);
CREATE INDEX operations_by_operator ON operations (tenant_id, assigned_operator_id);

-- Checklist steps of an operation.
CREATE TABLE substeps (
  id           TEXT PRIMARY KEY,
  tenant_id    TEXT NOT NULL,
  operation_id TEXT NOT NULL,
  description  TEXT NOT NULL,
  sequence     INTEGER NOT NULL CHECK (sequence >= 1),
  completed    INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
  completed_at TEXT,
  notes        TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (operation_id, sequence),
  FOREIGN KEY (tenant_id, operation_id) REFERENCES operations (tenant_id, id) ON DELETE CASCADE
);

-- The outbox: an event row is written in the same atomic batch as the change it reports.
CREATE TABLE events (
  id            TEXT PRIMARY KEY,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  event_type    TEXT NOT NULL,
  payload       TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  dispatched_at TEXT
);
CREATE INDEX events_by_tenant_created ON events (tenant_id, created_at);
CREATE INDEX events_pending ON events (created_at) WHERE dispatched_at IS NULL;
