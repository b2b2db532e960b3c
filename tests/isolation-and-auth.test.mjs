// Tenant isolation, authentication, and the request pipeline shared by every function.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { api, BASE, createJob, job, SEED } from './client.mjs';

test("another tenant's job is 404 for read, update and delete, and absent from its lists", async () => {
  const { job_id, job_number } = await createJob({}, SEED.a);
  const asB = { key: SEED.b };
  const read = await api('GET', `api-jobs?id=${job_id}`, asB);
  assert.equal(read.status, 404);
  assert.equal(read.body.error.message, `Job with ID ${job_id} not found`);
  assert.equal((await api('PATCH', `api-jobs?id=${job_id}`, { ...asB, body: { notes: 'mine now' } })).status, 404);
  assert.equal((await api('DELETE', `api-jobs?id=${job_id}`, asB)).status, 404);
  const list = await api('GET', `api-jobs?job_number=${job_number}`, asB);
  assert.equal(list.body.data.pagination.total, 0);
  assert.equal((await api('GET', `api-jobs?id=${job_id}`)).body.data.job.notes ?? null, null, 'A still sees its job unchanged');
  const same = await api('POST', 'api-jobs', { ...asB, body: job({ job_number }) });
  assert.equal(same.status, 201, 'the same job number is fine in another tenant');
});

test("a cell of another tenant cannot be referenced", async () => {
  const a = await createJob({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x', cell_name: 'Private-Cell' }] }] });
  const cellId = (await api('GET', `api-jobs?id=${a.job_id}`)).body.data.job.parts[0].operations[0].cell_id;
  const r = await api('POST', 'api-jobs', { key: SEED.b, body: job({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x', cell_id: cellId }] }] }) });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.details[0].constraint, 'FK_CONSTRAINT');
});

test('missing, malformed, unknown and revoked keys are 401 in the envelope', async () => {
  const cases = [
    { authorization: undefined, key: null },
    { authorization: 'Bearer' },
    { authorization: 'Basic dXNlcjpwYXNz' },
    { authorization: 'Bearer not-a-key' },
    { authorization: `Bearer ery_live_${'0'.repeat(48)}` },
    { authorization: `Bearer ${SEED.a}x` },
    { authorization: `Bearer ${SEED.revoked}` },
  ];
  for (const c of cases) {
    for (const [method, path, body] of [['GET', 'api-jobs'], ['POST', 'api-jobs', job()], ['DELETE', 'api-jobs?id=00000000-0000-4000-8000-000000000000']]) {
      const r = await api(method, path, { ...c, body });
      assert.equal(r.status, 401, `${method} with ${JSON.stringify(c)}`);
      assert.equal(r.body.error.code, 'UNAUTHORIZED');
    }
  }
  const revoked = await api('GET', 'api-jobs', { key: SEED.revoked });
  assert.equal(revoked.body.error.message, 'API key has been revoked');
});

test('bad bodies: invalid JSON and non-objects are 400, over 1 MiB is 413, nothing is written', async () => {
  for (const raw of ['{"job_number": ', 'null', '[1,2]', '"text"', '', '{"a":1}{"b":2}']) {
    const r = await api('POST', 'api-jobs', { raw, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400, raw);
    assert.equal(r.body.error.code, 'BAD_REQUEST');
  }
  const big = JSON.stringify(job({ notes: 'x'.repeat(1024 * 1024) }));
  const r = await postAlone('api-jobs', big);
  assert.equal(r.status, 413);
  assert.equal(r.body.error.code, 'PAYLOAD_TOO_LARGE');
});

test('the 1 MiB limit holds on the bytes read: chunked bodies without Content-Length, on REST and MCP alike', async () => {
  const big = JSON.stringify(job({ notes: 'x'.repeat(1024 * 1024 + 100) }));
  for (const path of ['api-jobs', 'mcp']) {
    const r = await postAlone(path, big, { chunked: true });
    assert.equal(r.status, 413, path);
    assert.equal(r.body.error.code, 'PAYLOAD_TOO_LARGE', path);
  }
  const small = job({ notes: 'y'.repeat(90 * 1024) });
  const ok = await postAlone('api-jobs', JSON.stringify(small), { chunked: true });
  assert.equal(ok.status, 201, 'a chunked body within the limit is read whole');
  assert.equal(ok.body.data.job_number, small.job_number);
});

test('hostile values never produce a 500', async () => {
  const values = [null, true, -1, 0, 1e308, -1e308, 2 ** 63, 1.5, '', ' ', 'x'.repeat(300), '\u0000', "'; DROP TABLE jobs; --", '😀', [], {}, [null], { a: { b: [1] } }];
  for (const v of values) {
    for (const field of ['job_number', 'customer', 'due_date', 'priority', 'metadata', 'status', 'parts', 'current_cell_id']) {
      await api('POST', 'api-jobs', { body: { ...job(), [field]: v } });
    }
    for (const field of ['part_number', 'quantity', 'material', 'file_paths', 'parent_part_number', 'operations']) {
      await api('POST', 'api-jobs', { body: job({ parts: [{ part_number: 'A', quantity: 1, [field]: v }] }) });
    }
    for (const field of ['operation_name', 'sequence', 'cell_id', 'cell_name', 'estimated_time']) {
      await api('POST', 'api-jobs', { body: job({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x', [field]: v }] }] }) });
    }
  }
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  assert.equal((await api('POST', 'api-jobs', { raw: deep })).status, 400);
  for (const q of ['id=%', 'id=%ZZ', 'limit=1e3', 'offset=99999999999999', 'sort_by=id;drop', 'status[]=x']) await api('GET', `api-jobs?${q}`);
});

test('ids must be UUIDs: 400 UUID_FORMAT; a well-formed unknown id is 404', async () => {
  const bad = await api('GET', 'api-jobs?id=abc-123');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.details[0].constraint, 'UUID_FORMAT');
  assert.equal((await api('PATCH', 'api-jobs', { body: { notes: 'x' } })).status, 400, 'PATCH without id');
  assert.equal((await api('GET', 'api-jobs?id=00000000-0000-4000-8000-000000000000')).status, 404);
});

test('a list filter naming a record by id must be a UUID: 400 naming the parameter, not an empty page', async () => {
  const filters = {
    'api-parts': ['job_id', 'material_id', 'parent_part_id'], 'api-operations': ['part_id', 'job_id', 'cell_id', 'assigned_operator_id'],
    'api-batches': ['cell_id', 'parent_batch_id'], 'api-time-entries': ['operation_id', 'operator_id', 'user_id', 'part_id', 'job_id'],
    'api-issues': ['operation_id', 'job_id'], 'api-substeps': ['operation_id'], 'api-webhooks/deliveries': ['webhook_id', 'event_id'],
    'api-webhooks/logs': ['webhook_id', 'event_id', 'delivery_id'],
  };
  for (const [path, params] of Object.entries(filters)) {
    for (const param of params) {
      const r = await api('GET', `${path}?${param}=not-a-uuid`);
      assert.equal(r.status, 400, `${path}?${param}`);
      assert.deepEqual([r.body.error.details[0].field, r.body.error.details[0].constraint], [param, 'UUID_FORMAT'], `${path}?${param}`);
      assert.equal((await api('GET', `${path}?${param}=00000000-0000-4000-8000-000000000000`)).status, 200, `${path}?${param} with a UUID`);
    }
  }
});

test('beside ?id=, the list parameters are known parameters: a bad value is 400', async () => {
  const { job_id, parts } = await createJob();
  for (const path of [`api-jobs?id=${job_id}`, `api-parts?id=${parts[0].part_id}`, `api-operations?id=${parts[0].operations[0].operation_id}`]) {
    assert.equal((await api('GET', `${path}&limit=1`)).status, 200, path);
    const bad = await api('GET', `${path}&sort_by=nope&limit=x`);
    assert.equal(bad.status, 400, path);
    assert.deepEqual(bad.body.error.details.map((d) => d.field).sort(), ['limit', 'sort_by']);
  }
  assert.equal((await api('GET', 'api-cells?id=00000000-0000-4000-8000-000000000000&sort_order=up')).status, 400);
});

test('405 names the allowed methods; unknown routes and functions are 404', async () => {
  const r = await api('PUT', 'api-jobs', { body: {} });
  assert.equal(r.status, 405);
  assert.equal(r.body.error.code, 'METHOD_NOT_ALLOWED');
  assert.match(r.headers.get('allow'), /GET, POST, PATCH, DELETE/);
  assert.equal((await api('GET', 'api-jobs/nope/deeper')).status, 404);
  const missing = await api('GET', 'api-nothing');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'NOT_FOUND');
});

test('request ids are echoed when sane and minted otherwise', async () => {
  const echoed = await api('GET', 'api-jobs?limit=1', { headers: { 'x-request-id': 'erp-sync-42' } });
  assert.equal(echoed.headers.get('request-id'), 'erp-sync-42');
  const minted = await api('GET', 'api-jobs?limit=1', { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.notEqual(minted.headers.get('request-id'), 'bad id with spaces');
});

test('CORS preflight answers without a key; responses expose the timing and id headers', async () => {
  const res = await fetch(`${BASE}/functions/v1/api-jobs`, { method: 'OPTIONS', headers: { origin: 'https://erp.example', 'access-control-request-method': 'POST' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('access-control-allow-headers'), /Authorization/);
  const r = await api('GET', 'api-jobs?limit=1');
  assert.match(r.headers.get('access-control-expose-headers'), /Server-Timing/);
  assert.match(r.headers.get('server-timing'), /d1-rt;dur=1/);
});

/**
 * A POST on a connection of its own. The server answers an oversized body before reading it
 * and drops the connection; on fetch's shared pool that could fail the next test's request.
 */
function postAlone(path, body, { chunked = false } = {}) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${SEED.a}`, 'content-type': 'application/json' };
    // Without Content-Length, Node sends the body chunked: the server learns its size only by reading it.
    if (!chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = request(`${BASE}/functions/v1/${path}`, { method: 'POST', agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (e) => answered || reject(e));
    if (!chunked) return req.end(body);
    for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.slice(at, at + 64 * 1024));
    req.end();
  });
}
