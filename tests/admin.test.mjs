// Admin endpoints: sign-in, session tokens (verified signature, expiry and claims; admins of
// their own tenant only), API key management and the streamed export.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BASE, SEED, api, createJob, settled, storedInClear, unique } from './client.mjs';

const SECRET = process.env.ERYXON_JWT_SECRET;
const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An HS256 JWT as any identity provider sharing the secret would sign it (issued now). */
function sign(claims, secret = SECRET, header = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${b64(header)}.${b64({ iat: seconds(), ...claims })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
const seconds = () => Math.floor(Date.now() / 1000);
const bearer = (token) => ({ key: null, authorization: `Bearer ${token}` });

async function signIn(email, password = SEED.password, extra = {}) {
  return api('POST', 'api-auth/sign-in', { key: null, body: { email, password, ...extra } });
}

let adminA; // { token, user }
let adminB;
before(async () => {
  const a = await signIn(SEED.adminA);
  const b = await signIn(SEED.adminB);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  adminA = { token: a.body.data.access_token, user: a.body.data.user };
  adminB = { token: b.body.data.access_token, user: b.body.data.user };
});

describe('sign-in', () => {
  test('answers a token shaped like Supabase Auth, for the user and tenant', async () => {
    const r = await signIn(SEED.adminA);
    const d = r.body.data;
    assert.equal(d.token_type, 'bearer');
    assert.equal(d.expires_in, 3600);
    assert.deepEqual([d.user.email, d.user.role, d.user.tenant_id], [SEED.adminA, 'admin', SEED.tenantA]);
    const claims = JSON.parse(Buffer.from(d.access_token.split('.')[1], 'base64url'));
    assert.deepEqual([claims.sub, claims.aud, claims.tenant_id, claims.exp - claims.iat], [d.user.id, 'authenticated', SEED.tenantA, 3600]);
  });

  test('a wrong password, an unknown email and a bad body are refused alike', async () => {
    const wrong = await signIn(SEED.adminA, 'not the password');
    const unknown = await signIn('nobody@a.example');
    assert.deepEqual([wrong.status, unknown.status], [401, 401]);
    assert.equal(wrong.body.error.message, unknown.body.error.message);
    assert.equal((await api('POST', 'api-auth/sign-in', { key: null, body: { email: SEED.adminA } })).status, 422);
    assert.equal((await api('POST', 'api-auth/sign-in', { key: null, raw: '{' })).status, 400);
    assert.equal((await api('GET', 'api-auth/sign-in', { key: null })).status, 405);
    assert.equal((await signIn(SEED.adminA, SEED.password, { tenant_id: SEED.tenantB })).status, 401);
  });

  test('ten failures for an email in 15 minutes refuse its next attempts, the right password too, until the window ends', async () => {
    // A fixed instant at the start of a 15-minute window, far from the real clock.
    const start = Date.parse('2031-03-03T10:00:00.000Z');
    const at = (minutes) => new Date(start + minutes * 60_000).toISOString();
    const attempt = (email, password, minutes) => api('POST', 'api-auth/sign-in', { key: null, at: at(minutes), body: { email, password } });
    for (let i = 0; i < 10; i += 1) assert.equal((await attempt(SEED.operatorA, `guess ${i}`, 1)).status, 401);
    const refused = await attempt(SEED.operatorA.toUpperCase(), SEED.password, 2);
    assert.equal(refused.status, 429, 'case does not buy more attempts');
    assert.equal(refused.body.error.code, 'RATE_LIMIT_EXCEEDED');
    assert.equal(refused.headers.get('retry-after'), String(13 * 60));
    assert.equal((await attempt(SEED.adminA, SEED.password, 2)).status, 200, 'other emails are not held');
    assert.equal((await attempt(SEED.operatorA, SEED.password, 15)).status, 200, 'the next window starts afresh');
  });

  test('of 30 parallel wrong guesses for one email, at most ten are evaluated', async () => {
    const at = new Date(Date.parse('2031-04-04T10:00:00.000Z')).toISOString();
    const guesses = await Promise.all(Array.from({ length: 30 }, (_, i) => api('POST', 'api-auth/sign-in', { key: null, at, body: { email: SEED.operatorA, password: `parallel ${i}` } })));
    const statuses = guesses.map((g) => g.status);
    assert.equal(statuses.filter((s) => s === 401).length, 10, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 20, statuses.join(','));
  });

  test('a successful sign-in does not use up the window', async () => {
    const at = new Date(Date.parse('2031-05-05T10:00:00.000Z')).toISOString();
    for (let i = 0; i < 12; i += 1) {
      const r = await api('POST', 'api-auth/sign-in', { key: null, at, body: { email: SEED.operatorA, password: SEED.password } });
      assert.equal(r.status, 200, `sign-in ${i + 1}`);
    }
  });
});

describe('session tokens', () => {
  const keys = (auth) => api('GET', 'api-keys', auth);

  test('a valid token of an admin lists its own tenant\'s keys', async () => {
    const r = await keys(bearer(adminA.token));
    assert.equal(r.status, 200);
    assert.ok(r.body.data.api_keys.length >= 2);
  });

  test('a token of another identity provider with the shared secret works (Supabase shape)', async () => {
    const token = sign({ sub: adminA.user.id, aud: 'authenticated', role: 'authenticated', exp: seconds() + 60, app_metadata: { tenant_id: SEED.tenantA } });
    assert.equal((await keys(bearer(token))).status, 200);
  });

  test('expired, tampered, foreign-signed, unsigned and wrong-audience tokens are 401', async () => {
    const claims = { sub: adminA.user.id, aud: 'authenticated', exp: seconds() + 60 };
    const good = sign(claims);
    const [h, , s] = good.split('.');
    const cases = {
      expired: sign({ ...claims, exp: seconds() - 1 }),
      tampered: `${h}.${b64({ ...claims, sub: adminB.user.id })}.${s}`,
      'other secret': sign(claims, 'not the deployment secret'),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      'wrong audience': sign({ ...claims, aud: 'service_role' }),
      'no expiry': sign({ sub: adminA.user.id }),
      'no issue time': sign({ ...claims, iat: undefined }),
      'issued in the future': sign({ ...claims, iat: seconds() + 600, exp: seconds() + 900 }),
      'longer-lived than ours': sign({ ...claims, iat: seconds() - 10, exp: seconds() + 3600 }),
      'unknown user': sign({ ...claims, sub: '00000000-0000-4000-8000-000000000000' }),
      garbage: 'eyJ.not.a-token',
    };
    for (const [name, token] of Object.entries(cases)) {
      const r = await keys(bearer(token));
      assert.equal(r.status, 401, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'UNAUTHORIZED');
    }
  });

  test('a token naming another tenant than its user\'s is 401', async () => {
    const r = await keys(bearer(sign({ sub: adminA.user.id, exp: seconds() + 60, tenant_id: SEED.tenantB })));
    assert.equal(r.status, 401);
  });

  test('a signed-in operator is not an admin: 403', async () => {
    const op = await signIn(SEED.operatorA);
    assert.equal(op.status, 200);
    assert.equal(op.body.data.user.role, 'operator');
    const r = await keys(bearer(op.body.data.access_token));
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'FORBIDDEN');
  });

  test('API keys never open admin endpoints, and session tokens never replace API keys', async () => {
    for (const path of ['api-keys', 'api-export']) {
      const r = await api('GET', path, { key: SEED.a });
      assert.equal(r.status, 401);
      assert.match(r.body.error.message, /not an API key/);
    }
    assert.equal((await api('GET', 'api-keys', { key: null })).status, 401);
    const r = await api('GET', 'api-jobs', bearer(adminA.token));
    assert.equal(r.status, 401);
    assert.match(r.body.error.message, /takes an API key, not a session token/);
  });
});

describe('admins and API keys', () => {
  test('an API key can neither make an admin nor change or delete one', async () => {
    const made = await api('POST', 'api-operators', { body: { full_name: 'Sneaky', role: 'admin' } });
    assert.equal(made.status, 422);
    const op = (await api('POST', 'api-operators', { body: { full_name: 'Promote me', employee_id: unique('EMP') } })).body.data.operator;
    assert.equal((await api('PATCH', `api-operators?id=${op.id}`, { body: { role: 'admin' } })).status, 422);
    const patch = await api('PATCH', `api-operators?id=${adminA.user.id}`, { body: { active: false } });
    assert.equal(patch.status, 409);
    assert.match(patch.body.error.message, /admins are managed by signed-in admins/);
    assert.equal((await api('DELETE', `api-operators?id=${adminA.user.id}`)).status, 403);
    assert.equal((await api('GET', 'api-keys', bearer(adminA.token))).status, 200, 'the admin still signs in and works');
  });
});

describe('api-keys', () => {
  test('a created key is shown once, works at once, and is listed without its secret', async () => {
    const created = await api('POST', 'api-keys', { ...bearer(adminA.token), body: { name: 'ERP nightly', mode: 'test' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = created.body.data.api_key;
    assert.match(key.api_key, /^ery_test_[0-9a-f]{48}$/);
    assert.deepEqual([key.name, key.mode, key.status, key.created_by], ['ERP nightly', 'test', 'active', adminA.user.id]);
    assert.equal(key.key_prefix, key.api_key.slice(0, key.key_prefix.length));

    const used = await api('GET', 'api-jobs?limit=1', { key: key.api_key });
    assert.equal(used.status, 200);

    const list = await api('GET', 'api-keys', bearer(adminA.token));
    const listed = list.body.data.api_keys.find((k) => k.id === key.id);
    assert.ok(listed.last_used_at, 'last_used_at is set once the key was used');
    assert.deepEqual(Object.keys(listed).sort(), ['created_at', 'created_by', 'id', 'key_prefix', 'last_used_at', 'mode', 'name', 'revoked_at', 'status']);
    assert.ok(!JSON.stringify(list.body).includes(key.api_key));
    const listB = await api('GET', 'api-keys', bearer(adminB.token));
    assert.ok(!listB.body.data.api_keys.some((k) => k.id === key.id), 'B never sees A\'s keys');
  });

  test('an admin write retried with its Idempotency-Key answers the first answer again; the key is never stored in clear', async () => {
    const options = { ...bearer(adminA.token), headers: { 'idempotency-key': unique('admin-retry') }, body: { name: 'retried', mode: 'live' } };
    const first = await api('POST', 'api-keys', options);
    assert.equal(first.status, 201);
    const again = await settled('POST', 'api-keys', options); // the first answer is stored just after it is sent
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body, 'the same key, shown again to the one who asked for it');
    const listed = (await api('GET', 'api-keys', bearer(adminA.token))).body.data.api_keys.filter((k) => k.name === 'retried');
    assert.equal(listed.length, 1, 'one key made');
    assert.equal(storedInClear(first.body.data.api_key.api_key), false, 'neither the key nor the stored answer holds it in clear');
    assert.equal(storedInClear(first.body.data.api_key.key_prefix), true, 'the check itself finds what is stored (the prefix is)');
  });

  test('a revoked key is 401 on the next request; revoking is tenant-scoped and repeatable', async () => {
    const key = (await api('POST', 'api-keys', { ...bearer(adminA.token), body: { name: 'to revoke' } })).body.data.api_key;
    assert.equal((await api('GET', 'api-jobs?limit=1', { key: key.api_key })).status, 200);
    assert.equal((await api('DELETE', `api-keys?id=${key.id}`, bearer(adminB.token))).status, 404, 'B cannot revoke A\'s key');
    assert.equal((await api('GET', 'api-jobs?limit=1', { key: key.api_key })).status, 200);
    const revoked = await api('DELETE', `api-keys?id=${key.id}`, bearer(adminA.token));
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.data.api_key.status, 'revoked');
    const next = await api('GET', 'api-jobs?limit=1', { key: key.api_key });
    assert.equal(next.status, 401);
    const again = await api('DELETE', `api-keys?id=${key.id}`, bearer(adminA.token));
    assert.equal(again.body.data.api_key.revoked_at, revoked.body.data.api_key.revoked_at);
  });

  test('bad input is refused and changes nothing', async () => {
    const before = (await api('GET', 'api-keys', bearer(adminA.token))).body.data.api_keys.length;
    assert.equal((await api('POST', 'api-keys', { ...bearer(adminA.token), body: { mode: 'prod' } })).status, 422);
    assert.equal((await api('POST', 'api-keys', { ...bearer(adminA.token), raw: 'nope' })).status, 400);
    assert.equal((await api('DELETE', 'api-keys?id=nope', bearer(adminA.token))).status, 400);
    assert.equal((await api('DELETE', 'api-keys', bearer(adminA.token))).status, 400);
    assert.equal((await api('PUT', 'api-keys', bearer(adminA.token))).status, 405);
    const after = (await api('GET', 'api-keys', bearer(adminA.token))).body.data.api_keys.length;
    assert.equal(after, before);
  });
});

describe('api-export', () => {
  const JOBS = 12;
  const PARTS = 40;
  const OPS = 5;
  let created; // ids of B's jobs made here
  let marker; // a job of A that must never show up
  let whSecret;
  let whId;

  before(async () => {
    created = [];
    for (let j = 0; j < JOBS; j += 1) {
      const parts = Array.from({ length: PARTS }, (_, p) => ({
        part_number: `P-${p}`,
        quantity: 1,
        operations: Array.from({ length: OPS }, (_, o) => ({ operation_name: `Op "${o}", step`, sequence: (o + 1) * 10 })),
      }));
      const r = await api('POST', 'api-jobs', { key: SEED.b, body: { job_number: unique('EXP'), customer: 'Export, Inc.', parts } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      created.push(r.body.data.job_id);
    }
    marker = (await createJob({ customer: 'Tenant A only' })).job_id;
    const wh = await api('POST', 'api-webhooks', { key: SEED.b, body: { url: 'https://erp.example.com/hooks', events: ['job.created'] } });
    whSecret = wh.body.data.webhook.secret;
    whId = wh.body.data.webhook.id;
  });
  // Its deliveries could only fail (no such receiver) and would go on for later tests.
  after(async () => api('DELETE', `api-webhooks?id=${whId}`, { key: SEED.b }));

  async function total(path) {
    return (await api('GET', `${path}${path.includes('?') ? '&' : '?'}limit=1`, { key: SEED.b })).body.meta.pagination.total;
  }

  async function download(query, token = adminB.token) {
    const res = await fetch(`${BASE}/functions/v1/api-export${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { res, text: await res.text() };
  }

  test('JSON: every row of the tenant, nothing of another, no secrets', async () => {
    const { res, text } = await download('?entities=jobs,parts,operations,webhooks,operators');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition'), /attachment; filename="eryxon-export-.*\.json"/);
    const doc = JSON.parse(text);
    const d = doc.data;
    assert.equal(d.tenant.id, SEED.tenantB);
    for (const [entity, path] of [['jobs', 'api-jobs'], ['parts', 'api-parts'], ['operations', 'api-operations']]) {
      assert.equal(d[entity].length, await total(path), entity);
      assert.equal(doc.meta.counts[entity], d[entity].length);
    }
    assert.ok(d.operations.length >= JOBS * PARTS * OPS, `thousands of rows: ${d.operations.length}`);
    const jobIds = new Set(d.jobs.map((j) => j.id));
    for (const id of created) assert.ok(jobIds.has(id));
    assert.ok(!jobIds.has(marker), 'A\'s job is not in B\'s export');
    assert.equal(new Set(d.operations.map((o) => o.id)).size, d.operations.length, 'no row twice across pages');
    const partIds = new Set(d.parts.map((p) => p.id));
    assert.ok(d.operations.every((o) => partIds.has(o.part_id)), 'every operation belongs to an exported part');
    assert.ok(!text.includes(whSecret) && !text.includes('password_hash') && !text.includes('key_hash'));
    assert.ok(d.webhooks.every((w) => !('secret' in w) && Array.isArray(w.events)));
  });

  test('CSV: one entity, a header and a line per row, quoted where needed', async () => {
    const { res, text } = await download('?format=csv&entity=operations');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    const lines = text.split('\r\n').filter(Boolean);
    assert.equal(lines[0].split(',')[0], 'id');
    assert.equal(lines.length - 1, await total('api-operations'));
    assert.ok(text.includes('"Op ""0"", step"'));
  });

  test('bad queries and non-admins are refused before anything streams', async () => {
    const bad = await api('GET', 'api-export?format=csv', bearer(adminB.token));
    assert.equal(bad.status, 400);
    assert.equal((await api('GET', 'api-export?entities=jobs,secrets', bearer(adminB.token))).status, 400);
    const op = (await signIn(SEED.operatorA)).body.data.access_token;
    assert.equal((await api('GET', 'api-export', bearer(op))).status, 403);
    assert.equal((await api('POST', 'api-export', bearer(adminB.token))).status, 405);
  });
});
