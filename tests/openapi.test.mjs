// The OpenAPI document and the API agree: the served document is the committed one (which
// tools/openapi's own tests hold to what the declarations make); every documented operation
// is routed; every webhook event type documented is one a webhook may subscribe to.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BASE, SEED, api, createJob, createOperator, unique } from './client.mjs';

const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
const doc = JSON.parse(committed);
const EVENT_TYPES = Object.keys(doc.webhooks);

test('the served document is the committed one', async () => {
  const res = await fetch(`${BASE}/functions/v1/openapi.json`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), doc);
  assert.equal(doc.openapi, '3.1.0');
});

test('every documented operation is routed, with the documented credential', async () => {
  const session = (await api('POST', 'api-auth/sign-in', { key: null, body: { email: SEED.adminA, password: SEED.password } })).body.data.access_token;
  let checked = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const scheme = Object.keys(operation.security?.[0] ?? {})[0];
      const authorization = scheme === 'session' ? `Bearer ${session}` : scheme === 'apiKey' ? `Bearer ${SEED.a}` : undefined;
      const res = await fetch(`${BASE}${path}`, { method: method.toUpperCase(), headers: authorization ? { authorization } : {} });
      const text = await res.text();
      assert.ok(res.status < 500, `${method} ${path}: ${res.status}`);
      assert.ok(![404, 405].includes(res.status) || !/No route|not allowed/i.test(text), `${method.toUpperCase()} ${path} is documented but not routed: ${res.status} ${text}`);
      assert.ok(operation.responses.default && Object.keys(operation.responses).some((s) => s.startsWith('2')), `${method} ${path} documents its answers`);
      checked += 1;
    }
  }
  assert.ok(checked >= 60, `${checked} operations`);
});

test('the documented webhook events are exactly those a webhook may subscribe to', async () => {
  assert.ok(EVENT_TYPES.length >= 20, `${EVENT_TYPES.length} event types`);
  const ok = await api('POST', 'api-webhooks', { body: { url: 'https://erp.example.com/all', events: EVENT_TYPES } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  await api('DELETE', `api-webhooks?id=${ok.body.data.webhook.id}`);
  assert.equal((await api('POST', 'api-webhooks', { body: { url: 'https://erp.example.com/x', events: ['job.exploded'] } })).status, 422);
});

// The document against the server, both ways. A value no declaration accepts: 300 characters
// for a query parameter (every text filter stops at 255; ids, dates, flags, enums and numbers
// refuse it) and -1e300 for a body field (not text, an id, a flag, an object or an array, and
// below every number's minimum).
const JUNK_QUERY = 'x'.repeat(300);
const JUNK_BODY = -1e300;

/** Every name a request might carry: the document's fields and parameters, and the tables' columns. */
function candidateNames() {
  const names = new Set();
  const walk = (schema) => {
    if (!schema || typeof schema !== 'object') return;
    for (const [k, v] of Object.entries(schema.properties ?? {})) {
      names.add(k);
      walk(v);
    }
    for (const key of ['items', 'anyOf', 'allOf', 'oneOf']) [schema[key]].flat().forEach(walk);
  };
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      for (const p of op.parameters ?? []) if (p.in === 'query') names.add(p.name);
      walk(op.requestBody?.content?.['application/json']?.schema);
    }
  }
  const migrations = new URL('../migrations/', import.meta.url);
  for (const file of readdirSync(migrations)) {
    const sql = readFileSync(new URL(file, migrations), 'utf8');
    for (const m of sql.matchAll(/^\s+([a-z_]+)\s+(?:TEXT|INTEGER|REAL|BLOB|NUMERIC)\b/gm)) names.add(m[1]);
    for (const m of sql.matchAll(/ADD COLUMN ([a-z_]+)/g)) names.add(m[1]);
  }
  return names;
}

/** The fields a 400/422 answer names (a nested one by its top-level field). */
const named = (r) => new Set((r.body?.error?.details ?? []).map((d) => String(d.field ?? '').split(/[.[]/)[0]));

/** Records to PATCH and act on, and a session for the admin operations. */
async function fixtures() {
  const created = await createJob();
  const post = async (path, body) => {
    const r = await api('POST', path, { body });
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return Object.values(r.body.data)[0].id;
  };
  const operation = created.parts[0].operations[0].operation_id;
  const ids = {
    'api-jobs': created.job_id, 'api-parts': created.parts[0].part_id, 'api-operations': operation,
    'api-cells': await post('api-cells', { name: unique('Cell') }), 'api-materials': await post('api-materials', { name: unique('Mat') }),
    'api-operators': await createOperator(), 'api-substeps': await post('api-substeps', { operation_id: operation, description: 'Deburr', sequence: 1 }),
    'api-issues': await post('api-issues', { operation_id: operation, title: 'Scratch' }),
    'api-batches': await post('api-batches', { batch_number: unique('B') }),
    // Inactive: the jobs other tests create queue nothing for it.
    'api-webhooks': await post('api-webhooks', { url: 'https://erp.example.com/probe', events: ['job.created'], active: false }),
  };
  ids['api-batch-lifecycle'] = ids['api-batches'];
  ids['api-job-lifecycle'] = created.job_id;
  ids['api-operation-lifecycle'] = operation;
  const session = (await api('POST', 'api-auth/sign-in', { key: null, body: { email: SEED.adminA, password: SEED.password } })).body.data.access_token;
  return { ids, session };
}

/** Sends one documented operation with `query` and `body`, as its credential and on its record. */
function send(path, method, op, { ids, session }, query = {}, body = undefined) {
  const rel = path.slice('/functions/v1/'.length);
  const fn = rel.split('/')[0];
  const scheme = Object.keys(op.security?.[0] ?? {})[0];
  const needsId = (op.parameters ?? []).some((p) => p.name === 'id' && p.required);
  const q = new URLSearchParams({ ...(needsId && ids[fn] ? { id: ids[fn] } : {}), ...query });
  const auth = scheme === 'session' ? { authorization: `Bearer ${session}` } : scheme ? {} : { key: null };
  return api(method.toUpperCase(), `${rel}${q.size ? `?${q}` : ''}`, { ...auth, body });
}

/** The functions' operations (the document itself is a static file the gateway serves). */
const operations = () =>
  Object.entries(doc.paths)
    .filter(([path]) => !path.endsWith('/openapi.json'))
    .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

test('every documented query parameter is read by the server, and the server reads no other', async () => {
  const ctx = await fixtures();
  const candidates = candidateNames();
  let probed = 0;
  // A DELETE's one parameter is its id; probing it would delete the fixture.
  for (const { path, method, op } of operations().filter((o) => o.method !== 'delete')) {
    const documented = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    for (const name of documented) {
      const r = await send(path, method, op, ctx, { [name]: JUNK_QUERY });
      assert.equal(r.status, 400, `${method.toUpperCase()} ${path}?${name}= is documented but the server ignores it: ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(named(r).has(name), `${method.toUpperCase()} ${path}: the 400 does not name ${name}: ${JSON.stringify(r.body)}`);
      probed += 1;
    }
    if (method !== 'get') continue;
    const others = [...candidates].filter((n) => !documented.includes(n));
    // In groups, to keep the URL short.
    for (let i = 0; i < others.length; i += 20) {
      const r = await send(path, method, op, ctx, Object.fromEntries(others.slice(i, i + 20).map((n) => [n, JUNK_QUERY])));
      // Every list refuses updated_since where its records have no updated_at, rather than ignoring it.
      const details = r.body?.error?.details ?? [];
      const unavailable = (d) => /is not available on this list/.test(d.message);
      assert.deepEqual(details.filter((d) => !unavailable(d)).map((d) => d.field), [], `GET ${path} reads undocumented parameters: ${JSON.stringify(r.body)}`);
      const refusedOnlyThat = r.status === 400 && details.length > 0 && details.every(unavailable);
      assert.ok(r.status === 200 || refusedOnlyThat, `GET ${path} with unknown parameters: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
  assert.ok(probed >= 130, `${probed} parameters probed`);
});

test('every documented body field is read by the server, and the server reads no other', async () => {
  const ctx = await fixtures();
  const candidates = candidateNames();
  let probed = 0;
  for (const { path, method, op } of operations()) {
    const schema = op.requestBody?.content?.['application/json']?.schema;
    const documented = Object.keys(schema?.properties ?? {});
    if (!documented.length) continue;
    // A sync item needs its identity to be read at all; a bulk sync holds its items.
    const base = path.endsWith('/sync') ? { external_id: unique('EXT') } : {};
    for (const name of documented) {
      const r = await send(path, method, op, ctx, {}, { ...base, [name]: JUNK_BODY });
      assert.ok([400, 422].includes(r.status), `${method.toUpperCase()} ${path} ignores its documented field ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(named(r).has(name), `${method.toUpperCase()} ${path}: the ${r.status} does not name ${name}: ${JSON.stringify(r.body)}`);
      probed += 1;
    }
    const others = Object.fromEntries([...candidates].filter((n) => !documented.includes(n)).map((n) => [n, JUNK_BODY]));
    const r = await send(path, method, op, ctx, {}, { ...base, ...others });
    const read = [...named(r)].filter((n) => others[n]);
    assert.deepEqual(read, [], `${method.toUpperCase()} ${path} reads undocumented fields`);
  }
  assert.ok(probed >= 150, `${probed} fields probed`);
});
