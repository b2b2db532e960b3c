// Every api-jobs example of the reference, sent verbatim, gets the documented status and shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createJob, roundTrips } from './client.mjs';

const referenceCreate = () => ({
  job_number: 'JOB-2026-001',
  customer: 'ACME Corp',
  due_date: '2026-12-31',
  notes: 'Rush order',
  metadata: { po_number: 'PO-12345' },
  parts: [
    {
      part_number: 'PART-001',
      material: 'Aluminum 6061',
      quantity: 10,
      file_paths: ['s3://drawings/part-001.pdf'],
      operations: [{ operation_name: 'CNC Milling', cell_name: 'Mill-01', estimated_time: 120, sequence: 1, notes: 'Use 0.5" end mill' }],
    },
  ],
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('POST /api-jobs reference example: 201 with the documented shape', async () => {
  const r = await api('POST', 'api-jobs', { body: referenceCreate() });
  assert.equal(r.status, 201);
  assert.equal(r.body.success, true);
  const d = r.body.data;
  assert.match(d.job_id, uuid);
  assert.equal(d.job_number, 'JOB-2026-001');
  assert.equal(d.parts.length, 1);
  assert.match(d.parts[0].part_id, uuid);
  assert.equal(d.parts[0].part_number, 'PART-001');
  assert.match(d.parts[0].operations[0].operation_id, uuid);
  assert.equal(d.parts[0].operations[0].operation_name, 'CNC Milling');

  const got = await api('GET', `api-jobs?id=${d.job_id}`);
  assert.equal(got.status, 200);
  const j = got.body.data.job;
  assert.deepEqual(
    { job_number: j.job_number, customer: j.customer, due_date: j.due_date, notes: j.notes, metadata: j.metadata, status: j.status },
    { job_number: 'JOB-2026-001', customer: 'ACME Corp', due_date: '2026-12-31', notes: 'Rush order', metadata: { po_number: 'PO-12345' }, status: 'not_started' },
  );
  const p = j.parts[0];
  assert.deepEqual([p.material, p.quantity, p.file_paths], ['Aluminum 6061', 10, ['s3://drawings/part-001.pdf']]);
  const o = p.operations[0];
  assert.deepEqual([o.operation_name, o.cell_name, o.estimated_time, o.sequence, o.notes], ['CNC Milling', 'Mill-01', 120, 1, 'Use 0.5" end mill']);
  assert.match(o.cell_id, uuid, 'cell_name created the cell in the same write');
});

test('GET /api-jobs reference example: filters and the documented list shape', async () => {
  const mine = await createJob({ customer: 'ACME Corp Europe' });
  await api('PATCH', `api-jobs?id=${mine.job_id}`, { body: { status: 'in_progress' } });
  await createJob({ customer: 'ACME Corp Europe' }); // not started: filtered out by status
  const r = await api('GET', 'api-jobs?status=in_progress&customer=ACME&limit=100&offset=0');
  assert.equal(r.status, 200);
  assert.equal(roundTrips(r.res), 1, 'a list is answered in the authentication round trip');
  const { jobs, pagination } = r.body.data;
  assert.ok(jobs.length >= 1);
  assert.ok(jobs.every((j) => j.status === 'in_progress' && j.customer.includes('ACME')));
  const j = jobs.find((x) => x.id === mine.job_id);
  for (const key of ['id', 'job_number', 'customer', 'status', 'due_date', 'started_at', 'notes', 'parts']) assert.ok(key in j, key);
  assert.ok(j.started_at);
  assert.deepEqual(Object.keys(j.parts[0]).sort(), ['id', 'material', 'part_number', 'quantity', 'status']);
  assert.deepEqual([pagination.limit, pagination.offset], [100, 0]);
  assert.equal(typeof pagination.total, 'number');
  assert.deepEqual(r.body.meta.pagination, pagination);
});

test('PATCH /api-jobs reference example: completes an in-progress job', async () => {
  const { job_id } = await createJob();
  assert.equal((await api('PATCH', `api-jobs?id=${job_id}`, { body: { status: 'in_progress' } })).status, 200);
  const r = await api('PATCH', `api-jobs?id=${job_id}`, { body: { status: 'completed', notes: 'Finished ahead of schedule' } });
  assert.equal(r.status, 200);
  const j = r.body.data.job;
  assert.equal(j.status, 'completed');
  assert.equal(j.notes, 'Finished ahead of schedule');
  assert.ok(j.completed_at);
  assert.equal(typeof j.actual_duration, 'number');
});

test('DELETE /api-jobs reference example: 200 with the deleted id, then gone', async () => {
  const { job_id, job_number } = await createJob();
  const r = await api('DELETE', `api-jobs?id=${job_id}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data, { id: job_id, deleted: true });
  assert.equal((await api('GET', `api-jobs?id=${job_id}`)).status, 404);
  assert.equal((await api('DELETE', `api-jobs?id=${job_id}`)).status, 404);
  const again = await api('POST', 'api-jobs', { body: { job_number, parts: [{ part_number: 'P-1', quantity: 1 }] } });
  assert.equal(again.status, 201, 'the number is free again once the job is deleted');
});

test('the reference validation example: all three errors in one 422', async () => {
  const r = await api('POST', 'api-jobs', {
    body: { customer: 'ACME', parts: [{ part_number: 'P-1', quantity: 0, operations: [{ operation_name: 'Cut', sequence: 1, cell_id: 'abc-123' }] }] },
  });
  assert.equal(r.status, 422);
  const e = r.body.error;
  assert.equal(e.code, 'VALIDATION_ERROR');
  assert.equal(e.message, '✗ 3 validation error(s) in job');
  assert.deepEqual(e.details, [
    { field: 'job_number', message: 'Missing required field: job_number', value: null, constraint: 'NOT_NULL', entityType: 'job', entityIndex: 0 },
    { field: 'parts[0].quantity', message: 'Part quantity must be >= 1', value: 0, constraint: 'MIN_VALUE', entityType: 'part', entityIndex: 0 },
    {
      field: 'parts[0].operations[0].cell_id',
      message: 'Foreign key cell_id references non-existent record: abc-123',
      value: 'abc-123',
      constraint: 'FK_CONSTRAINT',
      entityType: 'operation',
      entityIndex: 0,
    },
  ]);
});
