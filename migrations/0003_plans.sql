-- Plans: per-tenant overrides of the plan's limits, daily request counts, and quota usage.

-- NULL means "the plan's default" (see shared/domain/src/plans.rs).
ALTER TABLE tenants ADD COLUMN daily_request_limit INTEGER CHECK (daily_request_limit >= 0);
ALTER TABLE tenants ADD COLUMN max_jobs INTEGER CHECK (max_jobs >= 0);
ALTER TABLE tenants ADD COLUMN max_parts INTEGER CHECK (max_parts >= 0);

-- Authenticated requests per tenant and per key, per UTC day, counted in the authentication
-- round trip.
CREATE TABLE usage_daily (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day       TEXT NOT NULL,
  requests  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day)
);
CREATE TABLE key_usage_daily (
  key_id    TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  day       TEXT NOT NULL,
  requests  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, day)
);

-- What a tenant holds now, kept by triggers so that a quota check is one row read, not a
-- count over the tenant.
CREATE TABLE tenant_usage (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  jobs      INTEGER NOT NULL DEFAULT 0,
  parts     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO tenant_usage (tenant_id, jobs, parts)
  SELECT t.id, (SELECT COUNT(*) FROM jobs WHERE tenant_id = t.id), (SELECT COUNT(*) FROM parts WHERE tenant_id = t.id) FROM tenants t;

CREATE TRIGGER tenant_usage_new_tenant AFTER INSERT ON tenants
BEGIN
  INSERT INTO tenant_usage (tenant_id) VALUES (NEW.id);
END;
CREATE TRIGGER tenant_usage_job_added AFTER INSERT ON jobs
BEGIN
  UPDATE tenant_usage SET jobs = jobs + 1 WHERE tenant_id = NEW.tenant_id;
END;
CREATE TRIGGER tenant_usage_job_removed AFTER DELETE ON jobs
BEGIN
  UPDATE tenant_usage SET jobs = jobs - 1 WHERE tenant_id = OLD.tenant_id;
END;
CREATE TRIGGER tenant_usage_part_added AFTER INSERT ON parts
BEGIN
  UPDATE tenant_usage SET parts = parts + 1 WHERE tenant_id = NEW.tenant_id;
END;
CREATE TRIGGER tenant_usage_part_removed AFTER DELETE ON parts
BEGIN
  UPDATE tenant_usage SET parts = parts - 1 WHERE tenant_id = OLD.tenant_id;
END;
