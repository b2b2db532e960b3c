// The MCP server with the official TypeScript SDK client (v2), in both protocol eras: the
// stateless 2026-07-28 revision and the initialize handshake of 2025-11-25.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { api, BASE, SEED, unique } from './client.mjs';

const connect = async (key, options = {}) => {
  const client = new Client({ name: 'eryxon-tests', version: '1.0.0' }, options);
  const headers = key ? { authorization: `Bearer ${key}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(`${BASE}/functions/v1/mcp`), { requestInit: { headers } }));
  return client;
};
const ERAS = [
  ['2026-07-28 (stateless)', { versionNegotiation: { mode: { pin: '2026-07-28' } } }, '2026-07-28'],
  ['2025-11-25 (initialize)', {}, '2025-11-25'],
];

for (const [era, options, version] of ERAS) {
  test(`${era}: lists the tools and calls them against the API`, async () => {
    const client = await connect(SEED.a, options);
    assert.equal(client.getNegotiatedProtocolVersion(), version, 'the client speaks the era under test');
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of ['fetch_jobs', 'fetch_parts', 'fetch_tasks', 'fetch_issues', 'fetch_ncrs', 'get_dashboard_stats', 'start_job', 'stop_job', 'complete_job', 'resume_job',
      'update_job', 'create_job', 'start_operation', 'pause_operation', 'complete_operation', 'update_operation', 'create_ncr', 'add_substep', 'complete_substep']) {
      assert.ok(names.includes(n), n);
    }
    assert.equal(tools.find((t) => t.name === 'fetch_jobs').annotations.readOnlyHint, true);
    assert.equal(tools.find((t) => t.name === 'start_job').annotations.readOnlyHint, false);

    const number = unique('MCP');
    const created = await client.callTool({ name: 'create_job', arguments: { job_number: number, customer: 'ACME', parts: [{ part_number: 'P1', quantity: 2, operations: [{ operation_name: 'Laser' }] }] } });
    assert.equal(created.isError, false, JSON.stringify(created));
    const jobId = created.structuredContent.job_id;
    assert.match(created.content[0].text, new RegExp(number), 'the text form carries the data too');
    const started = await client.callTool({ name: 'start_job', arguments: { id: jobId } });
    assert.deepEqual([started.structuredContent.job.status, started.structuredContent.previous_status], ['in_progress', 'not_started']);
    const found = await client.callTool({ name: 'fetch_jobs', arguments: { job_number: number } });
    assert.deepEqual(found.structuredContent.jobs.map((j) => j.id), [jobId]);
    const opId = created.structuredContent.parts[0].operations[0].operation_id;
    const user = (await api('POST', 'api-operators', { body: { full_name: 'MCP Op', employee_id: unique('M') } })).body.data.operator.id;
    const op = await client.callTool({ name: 'start_operation', arguments: { id: opId, user_id: user } });
    assert.equal(op.structuredContent.operation.part.job.job_number, number);
    const ncr = await client.callTool({ name: 'create_ncr', arguments: { operation_id: opId, title: 'Burr on edge', severity: 'low' } });
    assert.match(ncr.structuredContent.issue.ncr_number, /^NCR-\d{4}-\d{4}$/);
    const stats = await client.callTool({ name: 'get_dashboard_stats', arguments: {} });
    assert.ok(stats.structuredContent.jobs.in_progress >= 1 && stats.structuredContent.open_ncrs >= 1);
    const rest = await api('GET', `api-jobs?id=${jobId}`);
    assert.equal(rest.body.data.job.status, 'in_progress', 'the same data as REST');
    await client.close();
  });

  test(`${era}: bad arguments are tool errors naming the field`, async () => {
    const client = await connect(SEED.a, options);
    const missing = await client.callTool({ name: 'start_job', arguments: {} });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0].text, /id is required/);
    const invalid = await client.callTool({ name: 'create_job', arguments: { job_number: unique('MCP'), parts: [{ part_number: 'P', quantity: 0 }] } });
    assert.equal(invalid.isError, true);
    assert.match(invalid.content[0].text, /parts\[0\]\.quantity: Part quantity must be >= 1/);
    assert.equal(invalid.structuredContent.error.code, 'VALIDATION_ERROR');
    const refused = await client.callTool({ name: 'complete_job', arguments: { id: '00000000-0000-4000-8000-000000000000' } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /NOT_FOUND/);
    await client.close();
  });
}

test("tenant B's key never sees tenant A's data through MCP", async () => {
  const a = await connect(SEED.a);
  const number = unique('SECRET');
  const made = await a.callTool({ name: 'create_job', arguments: { job_number: number, parts: [{ part_number: 'P', quantity: 1 }] } });
  const b = await connect(SEED.b, ERAS[0][1]);
  const listed = await b.callTool({ name: 'fetch_jobs', arguments: { job_number: number } });
  assert.deepEqual(listed.structuredContent.jobs, []);
  const read = await b.callTool({ name: 'get_job', arguments: { id: made.structuredContent.job_id } });
  assert.equal(read.isError, true);
  const touched = await b.callTool({ name: 'start_job', arguments: { id: made.structuredContent.job_id } });
  assert.equal(touched.isError, true);
  assert.equal((await api('GET', `api-jobs?id=${made.structuredContent.job_id}`)).body.data.job.status, 'not_started');
  await a.close();
  await b.close();
});

test('without a key the MCP endpoint is 401; protocol errors are JSON-RPC errors', async () => {
  await assert.rejects(connect(null, ERAS[0][1]));
  const post = (body, headers = {}) => fetch(`${BASE}/functions/v1/mcp`, {
    method: 'POST', headers: { authorization: `Bearer ${SEED.a}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body,
  });
  const bad = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), { 'mcp-protocol-version': '1999-01-01' });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, -32022);
  const unknown = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'nope/nope', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } }), { 'mcp-protocol-version': '2026-07-28' });
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, -32601);
  const parse = await post('{oops');
  assert.equal((await parse.json()).error.code, -32700);
  assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).status, 202);
});

test('a request without a valid key is 401 before anything else is looked at', async () => {
  const modern = { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } };
  const bodies = {
    'invalid JSON': '{oops',
    'a batch': '[]',
    'an unsupported version': JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '1999-01-01' } } }),
    'an unknown method': JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'nope/nope', params: modern }),
    'an unknown tool': JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { ...modern, name: 'drop_tables', arguments: {} } }),
    'bad arguments': JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { ...modern, name: 'fetch_jobs', arguments: 7 } }),
    'the dashboard': JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { ...modern, name: 'get_dashboard_stats', arguments: {} } }),
    'a REST tool': JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { ...modern, name: 'fetch_jobs', arguments: {} } }),
    'tools/list': JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: modern }),
    'a notification': JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  };
  for (const authorization of [undefined, `Bearer ery_live_${'0'.repeat(48)}`, `Bearer ${SEED.revoked}`]) {
    for (const [name, body] of Object.entries(bodies)) {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) };
      const r = await fetch(`${BASE}/functions/v1/mcp`, { method: 'POST', headers, body });
      assert.equal(r.status, 401, `${name} with ${authorization ?? 'no key'}`);
      assert.equal((await r.json()).error.code, 'UNAUTHORIZED', name);
    }
    const headers = authorization ? { authorization } : {};
    for (const [method, path] of [['GET', 'mcp'], ['DELETE', 'mcp'], ['POST', 'mcp/anything']]) {
      const r = await fetch(`${BASE}/functions/v1/${path}`, { method, headers });
      assert.equal(r.status, 401, `${method} ${path} with ${authorization ?? 'no key'}`);
    }
  }
  assert.equal((await fetch(`${BASE}/functions/v1/mcp`, { headers: { authorization: `Bearer ${SEED.a}` } })).status, 405, 'a valid key learns the method');
});
