-- Admin: signed-in users and API key management.
-- A user with a password can sign in (api-auth) and, as an admin, call the admin endpoints.
-- The hash is PBKDF2-SHA256 (WebCrypto), "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>".
ALTER TABLE users ADD COLUMN password_hash TEXT;
-- Sign-in finds a user by email across tenants (emails are unique within a tenant only).
CREATE INDEX users_by_email ON users (email);

-- Who created a key from the admin endpoint (NULL for keys made by the admin command).
ALTER TABLE api_keys ADD COLUMN created_by TEXT;
-- When a key was last used: kept with the per-key daily count that authentication already
-- upserts, so no request writes a second row. The never-written column goes.
ALTER TABLE key_usage_daily ADD COLUMN last_used_at TEXT;
ALTER TABLE api_keys DROP COLUMN last_used_at;

-- The export reads a tenant's batch memberships in key order.
CREATE INDEX batch_operations_by_tenant_key ON batch_operations (tenant_id, batch_id, operation_id);
