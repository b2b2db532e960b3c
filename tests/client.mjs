// The black-box tests' client. Every response is checked for what must hold everywhere:
// a Request-Id, no 5xx, the envelope, and at most 2 D1 round trips (Server-Timing d1-rt).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BASE = process.env.ERYXON_URL;
export const SEED = JSON.parse(process.env.ERYXON_SEED ?? '{}');
/** The same seed, on a stack deployed self-hosted (plan limits off). */
export const SELF_HOSTED = process.env.ERYXON_SELF_HOSTED_URL;
if (!BASE) throw new Error('ERYXON_URL is not set: run the tests with `npm test`');

/** The D1 round trips a response reports. */
export function roundTrips(res) {
  const m = /d1-rt;dur=(\d+)/.exec(res.headers.get('server-timing') ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * Sends a request as `key` (a tenant's key, a raw Authorization value via {authorization},
 * or null for none) and returns { status, body, headers, res }.
 */
export async function api(method, path, { key = SEED.a, body, raw, headers = {}, authorization, at, base = BASE } = {}) {
  const h = { ...headers };
  if (at) h['x-eryxon-test-now'] = at;
  if (authorization !== undefined) h.authorization = authorization;
  else if (key) h.authorization = `Bearer ${key}`;
  let payload = raw;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}/functions/v1/${path}`, { method, headers: h, body: payload });
  const text = await res.text();
  assert.ok(res.status < 500, `${method} ${path} answered ${res.status}: ${text}`);
  assert.ok(res.headers.get('request-id'), `${method} ${path} has no Request-Id`);
  const trips = roundTrips(res);
  if (trips !== null) assert.ok(trips <= 2, `${method} ${path} used ${trips} D1 round trips`);
  let json = null;
  if (text) {
    json = JSON.parse(text);
    assert.equal(typeof json.success, 'boolean', `${method} ${path}: no envelope: ${text}`);
    assert.equal(json.success, res.status < 400, `${method} ${path}: success flag disagrees with ${res.status}`);
    if (!json.success) assert.equal(json.error.statusCode, res.status);
  }
  return { status: res.status, body: json, headers: res.headers, res };
}

/** Retries while the first request with its Idempotency-Key is still being answered (409), as a client would. */
export async function settled(method, path, options) {
  for (let i = 0; ; i += 1) {
    const r = await api(method, path, options);
    if (r.status !== 409 || i > 50) return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Whether `text` is stored anywhere in the hosted stack's local D1 files (SQLite keeps text as
 * UTF-8, so a secret stored in clear would appear verbatim, in the database or its WAL).
 */
export function storedInClear(text) {
  const dir = process.env.ERYXON_DB_DIR;
  if (!dir) throw new Error('ERYXON_DB_DIR is not set: run the tests with `npm test`');
  const needle = Buffer.from(text);
  const walk = (d) => readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(join(d, e.name)) : readFileSync(join(d, e.name)).includes(needle)));
  return walk(dir);
}

/** An instant `minutes` after 2026-01-15T10:00Z, for the test clock (`at`). */
export const minute = (minutes) => new Date(Date.UTC(2026, 0, 15, 10, 0) + minutes * 60_000).toISOString();

/** A job number no other test uses. */
export const unique = (prefix = 'JOB') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A minimal valid nested job. */
export function job(overrides = {}) {
  return {
    job_number: unique(),
    customer: 'ACME Corp',
    parts: [{ part_number: 'P-1', quantity: 1, operations: [{ operation_name: 'Cut', sequence: 1 }] }],
    ...overrides,
  };
}

/** Creates an operator (a user of the tenant `key` names) and returns its id. */
export async function createOperator(key = SEED.a, fullName = 'Operator') {
  const r = await api('POST', 'api-operators', { key, body: { full_name: fullName, employee_id: unique('E') } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.data.operator.id;
}

/** Creates a job and returns its create response data. */
export async function createJob(overrides = {}, key = SEED.a) {
  const r = await api('POST', 'api-jobs', { key, body: job(overrides) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.data;
}
