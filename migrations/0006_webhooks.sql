-- Webhooks: subscriptions, one delivery per (webhook, event), and every attempt.

-- A test event names its one webhook; others go to every subscriber of their type.
ALTER TABLE events ADD COLUMN webhook_id TEXT;
-- The dispatcher claims events (and deliveries) with a token and a lease before working on
-- them, so two consumers never take the same row; an expired lease frees it again.
ALTER TABLE events ADD COLUMN claim_token TEXT;
ALTER TABLE events ADD COLUMN claimed_until TEXT;
CREATE INDEX events_undispatched_by_tenant ON events (tenant_id, created_at) WHERE dispatched_at IS NULL;
CREATE INDEX events_by_claim ON events (claim_token) WHERE claim_token IS NOT NULL;

CREATE TABLE webhooks (
  id                         TEXT PRIMARY KEY,
  tenant_id                  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  url                        TEXT NOT NULL,
  events                     TEXT NOT NULL CHECK (json_type(events) = 'array'),
  active                     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  description                TEXT,
  secret                     TEXT NOT NULL,
  previous_secret            TEXT,
  previous_secret_expires_at TEXT,
  disabled_reason            TEXT,
  created_at                 TEXT NOT NULL,
  updated_at                 TEXT NOT NULL,
  UNIQUE (tenant_id, id)
);
CREATE INDEX webhooks_by_tenant ON webhooks (tenant_id, active, created_at);

CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,
  tenant_id        TEXT NOT NULL,
  webhook_id       TEXT NOT NULL,
  event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  event_type       TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT,
  claim_token      TEXT,
  claimed_until    TEXT,
  last_status_code INTEGER,
  last_error       TEXT,
  delivered_at     TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  UNIQUE (webhook_id, event_id),
  FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_claim ON webhook_deliveries (claim_token) WHERE claim_token IS NOT NULL;
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (tenant_id, event_id);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, created_at);

CREATE TABLE webhook_attempts (
  id          TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  webhook_id  TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  status_code INTEGER,
  duration_ms INTEGER,
  error       TEXT,
  created_at  TEXT NOT NULL
);
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts (tenant_id, webhook_id, created_at);
CREATE INDEX webhook_attempts_by_event ON webhook_attempts (tenant_id, event_id, created_at);
