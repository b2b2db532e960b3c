// api-jobs beyond the reference examples: atomicity, races, the status machine, lists,
// aliases, and the round-trip budget of a large nested create.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createJob, job, roundTrips, unique } from './client.mjs';

const numbered = (n) => api('GET', `api-jobs?job_number=${encodeURIComponent(n)}`);

test('a nested create of 20 parts x 5 operations is one atomic write in 2 round trips', async () => {
  const parts = Array.from({ length: 20 }, (_, i) => ({
    part_number: `P-${i}`,
    quantity: i + 1,
    operations: Array.from({ length: 5 }, (_, k) => ({ operation_name: `Op ${k}`, sequence: k + 1, cell_name: `Cell-${k}` })),
  }));
  const r = await api('POST', 'api-jobs', { body: job({ parts }) });
  assert.equal(r.status, 201);
  assert.equal(roundTrips(r.res), 2);
  const got = await api('GET', `api-jobs?id=${r.body.data.job_id}`);
  assert.equal(roundTrips(got.res), 1);
  const ps = got.body.data.job.parts;
  assert.equal(ps.length, 20);
  assert.ok(ps.every((p) => p.operations.length === 5 && p.operations.every((o, k) => o.sequence === k + 1 && o.cell_name === `Cell-${k}`)));
});

test('a create that fails validation anywhere leaves nothing behind', async () => {
  const number = unique();
  const parts = [
    { part_number: 'A', quantity: 1, operations: [{ operation_name: 'Cut', cell_name: 'Fresh-Cell' }] },
    { part_number: 'B', quantity: 1, operations: [{ operation_name: 'Weld', cell_id: '00000000-0000-4000-8000-000000000000' }] },
  ];
  const r = await api('POST', 'api-jobs', { body: { job_number: number, parts } });
  assert.equal(r.status, 422);
  assert.equal(r.body.error.details[0].field, 'parts[1].operations[0].cell_id');
  assert.equal((await numbered(number)).body.data.pagination.total, 0);
});

test('racing creates of one job number: exactly one wins and no orphan rows remain', async () => {
  const number = unique();
  const body = job({ job_number: number, parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'Cut' }] }] });
  const results = await Promise.all(Array.from({ length: 8 }, () => api('POST', 'api-jobs', { body })));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
  assert.ok(results.filter((r) => r.status === 409).every((r) => r.body.error.message === `Job number ${number} already exists`));
  const list = await numbered(number);
  assert.equal(list.body.data.pagination.total, 1);
  assert.equal(list.body.data.jobs[0].parts.length, 1, 'losers wrote no parts');
});

test('a duplicate job_number is 409 CONFLICT', async () => {
  const { job_number } = await createJob();
  const r = await api('POST', 'api-jobs', { body: job({ job_number }) });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, 'CONFLICT');
});

test('PATCH status follows the machine; a refused move is 409 and changes nothing', async () => {
  const { job_id } = await createJob();
  const bad = await api('PATCH', `api-jobs?id=${job_id}`, { body: { status: 'completed', notes: 'too early' } });
  assert.equal(bad.status, 409);
  assert.match(bad.body.error.message, /not_started to completed/);
  const after = (await api('GET', `api-jobs?id=${job_id}`)).body.data.job;
  assert.equal(after.status, 'not_started');
  assert.equal(after.notes, null);
  for (const [to, stamp] of [['in_progress', 'started_at'], ['on_hold', 'paused_at'], ['in_progress', 'resumed_at'], ['completed', 'completed_at']]) {
    const r = await api('PATCH', `api-jobs?id=${job_id}`, { body: { status: to } });
    assert.equal(r.status, 200, `${to}: ${JSON.stringify(r.body)}`);
    assert.ok(r.body.data.job[stamp], stamp);
  }
  assert.equal((await api('PATCH', `api-jobs?id=${job_id}`, { body: { status: 'in_progress' } })).status, 409);
});

test('racing status changes: one compare-and-set wins, the rest are 409 or see the result', async () => {
  // A request that reads the job after the winner committed finds it in_progress already and
  // is an idempotent no-op (200); one that read it before and lost the compare-and-set is 409.
  const { job_id } = await createJob();
  const results = await Promise.all(Array.from({ length: 6 }, () => api('PATCH', `api-jobs?id=${job_id}`, { body: { status: 'in_progress' } })));
  assert.ok(results.every((r) => r.status === 200 || r.status === 409), JSON.stringify(results.map((r) => r.status)));
  const starts = new Set(results.filter((r) => r.status === 200).map((r) => r.body.data.job.started_at));
  assert.equal(starts.size, 1, 'exactly one start happened');
  const job = (await api('GET', `api-jobs?id=${job_id}`)).body.data.job;
  assert.deepEqual([job.status, job.started_at], ['in_progress', [...starts][0]]);
});

test('PATCH validates every field, clears with null, and reports ignored fields', async () => {
  const { job_id } = await createJob({ notes: 'n' });
  const bad = await api('PATCH', `api-jobs?id=${job_id}`, { body: { due_date: '31/12/2026', priority: 101, metadata: 'x' } });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.error.details.map((d) => d.constraint).sort(), ['DATE_FORMAT', 'MAX_VALUE', 'TYPE_MISMATCH']);
  const r = await api('PATCH', `api-jobs?id=${job_id}`, { body: { notes: null, customer_name: 'Globex', job_number: 'ignored' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.job.notes, null);
  assert.equal(r.body.data.job.customer, 'Globex');
  assert.deepEqual(r.body.meta.ignored_fields, ['job_number']);
  assert.equal((await api('PATCH', `api-jobs?id=${job_id}`, { body: { job_number: 'x' } })).status, 422);
});

test('aliases: customer_name, estimated_time_minutes, setup_time and operation status paused', async () => {
  const r = await api('POST', 'api-jobs', {
    body: {
      job_number: unique(),
      customer_name: 'Initech',
      parts: [{ part_number: 'A', quantity: 2, operations: [{ operation_name: 'Cut', estimated_time_minutes: 7.5, setup_time: 3, status: 'paused' }] }],
    },
  });
  assert.equal(r.status, 201);
  const j = (await api('GET', `api-jobs?id=${r.body.data.job_id}`)).body.data.job;
  assert.equal(j.customer, 'Initech');
  const o = j.parts[0].operations[0];
  assert.deepEqual([o.estimated_time, o.setup_time_minutes, o.status, o.sequence], [7.5, 3, 'on_hold', 1]);
});

test('cell names resolve case-insensitively to one cell', async () => {
  const name = unique('Mill');
  const a = await createJob({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x', cell_name: name }] }] });
  const b = await createJob({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x', cell_name: name.toUpperCase() }] }] });
  const cell = async (id) => (await api('GET', `api-jobs?id=${id}`)).body.data.job.parts[0].operations[0].cell_id;
  const cellA = await cell(a.job_id);
  assert.equal(cellA, await cell(b.job_id));
  const byId = await createJob({ current_cell_id: cellA, parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x', cell_id: cellA }] }] });
  assert.equal(await cell(byId.job_id), cellA);
});

test('sub-assemblies: parent_part_number resolves within the job', async () => {
  const r = await createJob({ parts: [{ part_number: 'ASM', quantity: 1 }, { part_number: 'SUB', quantity: 2, parent_part_number: 'ASM' }] });
  const parts = (await api('GET', `api-jobs?id=${r.job_id}`)).body.data.job.parts;
  const asm = parts.find((p) => p.part_number === 'ASM');
  assert.equal(parts.find((p) => p.part_number === 'SUB').parent_part_id, asm.id);
  const loop = await api('POST', 'api-jobs', { body: job({ parts: [{ part_number: 'X', quantity: 1, parent_part_number: 'X' }] }) });
  assert.equal(loop.body.error.details[0].constraint, 'CIRCULAR_REFERENCE');
});

test('lists page with limit/offset, count the total, sort, and refuse bad parameters', async () => {
  const tag = unique('PAGE');
  for (let i = 0; i < 5; i++) await createJob({ job_number: `${tag}-${i}` });
  const first = await api('GET', `api-jobs?job_number=${tag}&limit=2&sort_by=job_number&sort_order=asc`);
  assert.deepEqual(first.body.data.jobs.map((j) => j.job_number), [`${tag}-0`, `${tag}-1`]);
  assert.equal(first.body.data.pagination.total, 5);
  const last = await api('GET', `api-jobs?job_number=${tag}&limit=2&offset=4&sort_by=job_number&sort_order=asc`);
  assert.deepEqual(last.body.data.jobs.map((j) => j.job_number), [`${tag}-4`]);
  assert.equal((await api('GET', 'api-jobs?limit=5000')).body.data.pagination.limit, 1000);
  const bad = await api('GET', 'api-jobs?limit=abc&status=done&offset=-1');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.details.map((d) => d.field), ['status', 'limit', 'offset']);
  assert.equal((await api('GET', 'api-jobs?unknown_param=1')).status, 200, 'unknown query parameters are ignored');
  const wild = await api('GET', `api-jobs?job_number=${encodeURIComponent('%')}`);
  assert.equal(wild.body.data.pagination.total, 0, 'LIKE wildcards in filters match literally');
});

test('unknown body fields are ignored and reported in meta.ignored_fields', async () => {
  const r = await api('POST', 'api-jobs', { body: { ...job(), colour: 'red', parts: [{ part_number: 'A', quantity: 1, shape: 'round' }] } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.meta.ignored_fields, ['colour', 'parts[0].shape']);
});
