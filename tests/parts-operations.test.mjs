// api-parts and api-operations: the reference examples, every validation constraint, exact
// list results, and tenant isolation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createJob, SEED, unique } from './client.mjs';

const ids = (rows) => rows.map((r) => r.id);
const detail = (r) => r.body.error.details.map((d) => [d.field, d.constraint]);

test('POST /api-parts reference example: parent by number, 201 with the part', async () => {
  const job = await createJob({ parts: [{ part_number: 'PART-001', quantity: 1, material: 'Steel 4140' }] });
  const r = await api('POST', 'api-parts', {
    body: { job_id: job.job_id, part_number: 'PART-002', material: 'Steel 4140', quantity: 5, parent_part_number: 'PART-001', notes: 'Sub-assembly' },
  });
  assert.equal(r.status, 201);
  const p = r.body.data.part;
  assert.deepEqual([p.job_id, p.part_number, p.material, p.quantity, p.notes, p.parent_part_id], [job.job_id, 'PART-002', 'Steel 4140', 5, 'Sub-assembly', job.parts[0].part_id]);
  const got = await api('GET', `api-parts?id=${p.id}`);
  assert.deepEqual(got.body.data.part.operations, []);
});

test('GET /api-parts reference example: job, status and material (partial) filters', async () => {
  const job = await createJob({
    parts: [
      { part_number: 'A', quantity: 1, material: 'Aluminum 6061', status: 'in_progress' },
      { part_number: 'B', quantity: 1, material: 'Aluminum 7075' },
      { part_number: 'C', quantity: 1, material: 'Steel', status: 'in_progress' },
    ],
  });
  const r = await api('GET', `api-parts?job_id=${job.job_id}&status=in_progress&material=Aluminum`);
  assert.deepEqual(ids(r.body.data.parts), [job.parts[0].part_id]);
  const all = await api('GET', `api-parts?job_id=${job.job_id}&sort_by=part_number&sort_order=desc&limit=2`);
  assert.deepEqual(ids(all.body.data.parts), [job.parts[2].part_id, job.parts[1].part_id]);
  assert.equal(all.body.data.pagination.total, 3);
  const next = await api('GET', `api-parts?job_id=${job.job_id}&sort_by=part_number&sort_order=desc&limit=2&offset=2`);
  assert.deepEqual(ids(next.body.data.parts), [job.parts[0].part_id]);
});

test('parts: every validation constraint answers 422 with its field, and nothing is written', async () => {
  const job = await createJob({ parts: [{ part_number: 'P', quantity: 1 }] });
  const other = await createJob({ parts: [{ part_number: 'Q', quantity: 1 }] });
  const none = '00000000-0000-4000-8000-000000000000';
  const cases = [
    [{ part_number: 'X', quantity: 1 }, [['job_id', 'FK_REQUIRED']]],
    [{ job_id: none, part_number: 'X', quantity: 1 }, [['job_id', 'FK_CONSTRAINT']]],
    [{ job_id: job.job_id, quantity: 1 }, [['part_number', 'NOT_NULL']]],
    [{ job_id: job.job_id, part_number: '', quantity: 1 }, [['part_number', 'MIN_LENGTH']]],
    [{ job_id: job.job_id, part_number: 'x'.repeat(256), quantity: 1 }, [['part_number', 'MAX_LENGTH']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 0 }, [['quantity', 'MIN_VALUE']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 'five' }, [['quantity', 'TYPE_MISMATCH']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 1, parent_part_id: none }, [['parent_part_id', 'FK_CONSTRAINT']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 1, parent_part_id: other.parts[0].part_id }, [['parent_part_id', 'FK_CONSTRAINT']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 1, parent_part_number: 'X' }, [['parent_part_number', 'CIRCULAR_REFERENCE']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 1, current_cell_id: none }, [['current_cell_id', 'FK_CONSTRAINT']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 1, material_id: none }, [['material_id', 'FK_CONSTRAINT']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 1, file_paths: 'a.pdf' }, [['file_paths', 'TYPE_MISMATCH']]],
    [{ job_id: job.job_id, part_number: 'X', quantity: 1, operations: [{ operation_name: 'Cut', sequence: 0 }] }, [['operations[0].sequence', 'MIN_VALUE']]],
  ];
  for (const [body, expected] of cases) {
    const r = await api('POST', 'api-parts', { body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.deepEqual(detail(r), expected, JSON.stringify(body));
  }
  const parts = await api('GET', `api-parts?job_id=${job.job_id}`);
  assert.deepEqual(parts.body.data.parts.map((p) => p.part_number), ['P'], 'nothing was written');
  const dup = await api('POST', 'api-parts', { body: { job_id: job.job_id, part_number: 'P', quantity: 1 } });
  assert.equal(dup.status, 409);
});

test('parts: nested operations, material_id, PATCH with cycle checks, DELETE with operations', async () => {
  const job = await createJob({ parts: [{ part_number: 'TOP', quantity: 1 }] });
  const top = job.parts[0].part_id;
  const mat = (await api('POST', 'api-materials', { body: { name: unique('AL') } })).body.data.material;
  const made = await api('POST', 'api-parts', {
    body: { job_id: job.job_id, part_number: 'MID', quantity: 2, material_id: mat.id, parent_part_id: top, operations: [{ operation_name: 'Cut', cell_name: unique('Saw') }, { operation_name: 'Drill' }] },
  });
  assert.equal(made.status, 201);
  const mid = made.body.data.part;
  assert.equal(mid.material_id, mat.id);
  assert.deepEqual(mid.operations.map((o) => o.operation_name), ['Cut', 'Drill']);
  const low = (await api('POST', 'api-parts', { body: { job_id: job.job_id, part_number: 'LOW', quantity: 1, parent_part_number: 'MID' } })).body.data.part;

  const cycle = await api('PATCH', `api-parts?id=${top}`, { body: { parent_part_id: low.id } });
  assert.equal(cycle.status, 422);
  assert.deepEqual(detail(cycle), [['parent_part_id', 'CIRCULAR_REFERENCE']]);
  const self = await api('PATCH', `api-parts?id=${top}`, { body: { parent_part_number: 'TOP' } });
  assert.deepEqual(detail(self), [['parent_part_number', 'CIRCULAR_REFERENCE']]);
  const ok = await api('PATCH', `api-parts?id=${low.id}`, { body: { parent_part_number: 'TOP', quantity: 4, notes: null } });
  assert.equal(ok.status, 200);
  assert.deepEqual([ok.body.data.part.parent_part_id, ok.body.data.part.quantity], [top, 4]);
  assert.equal((await api('PATCH', `api-parts?id=${low.id}`, { body: { part_number: 'MID' } })).status, 409);
  assert.equal((await api('DELETE', `api-materials?id=${mat.id}`)).status, 409, 'material in use');

  const opId = mid.operations[0].operation_id;
  assert.equal((await api('DELETE', `api-parts?id=${mid.id}`)).status, 200);
  assert.equal((await api('GET', `api-operations?id=${opId}`)).status, 404, 'its operations went with it');
  assert.equal((await api('GET', `api-parts?id=${low.id}`)).status, 200);
});

test('POST /api-operations reference example and GET with part and job numbers', async () => {
  const cell = (await api('POST', 'api-cells', { body: { name: unique('Weld') } })).body.data.cell;
  const job = await createJob();
  const part = job.parts[0];
  const r = await api('POST', 'api-operations', { body: { part_id: part.part_id, cell_id: cell.id, operation_name: 'Welding', estimated_time: 60, sequence: 2, notes: 'TIG weld only' } });
  assert.equal(r.status, 201);
  const op = r.body.data.operation;
  assert.deepEqual([op.part_id, op.cell_id, op.operation_name, op.estimated_time, op.sequence, op.notes, op.status], [part.part_id, cell.id, 'Welding', 60, 2, 'TIG weld only', 'not_started']);
  const got = (await api('GET', `api-operations?id=${op.id}`)).body.data.operation;
  assert.deepEqual([got.part.part_number, got.part.job.job_number, got.part.job.id, got.cell_name], [part.part_number, job.job_number, job.job_id, cell.name]);
  assert.equal((await api('POST', 'api-operations', { body: { part_id: part.part_id, operation_name: 'Again', sequence: 2 } })).status, 409, 'sequence taken');
});

test('operations: every validation constraint answers 422 with its field, and nothing is written', async () => {
  const job = await createJob();
  const part = job.parts[0].part_id;
  const none = '00000000-0000-4000-8000-000000000000';
  const cases = [
    [{ operation_name: 'X', sequence: 1 }, [['part_id', 'FK_REQUIRED']]],
    [{ part_id: none, operation_name: 'X', sequence: 1 }, [['part_id', 'FK_CONSTRAINT']]],
    [{ part_id: part, sequence: 5 }, [['operation_name', 'NOT_NULL']]],
    [{ part_id: part, operation_name: 'x'.repeat(256), sequence: 5 }, [['operation_name', 'MAX_LENGTH']]],
    [{ part_id: part, operation_name: 'X' }, [['sequence', 'NOT_NULL']]],
    [{ part_id: part, operation_name: 'X', sequence: 0 }, [['sequence', 'MIN_VALUE']]],
    [{ part_id: part, operation_name: 'X', sequence: 1.5 }, [['sequence', 'TYPE_MISMATCH']]],
    [{ part_id: part, operation_name: 'X', sequence: 5, cell_id: none }, [['cell_id', 'FK_CONSTRAINT']]],
    [{ part_id: part, operation_name: 'X', sequence: 5, assigned_operator_id: none }, [['assigned_operator_id', 'FK_CONSTRAINT']]],
    [{ part_id: part, operation_name: 'X', sequence: 5, estimated_time_minutes: -1 }, [['estimated_time_minutes', 'MIN_VALUE']]],
    [{ part_id: part, operation_name: 'X', sequence: 5, setup_time_minutes: -1 }, [['setup_time_minutes', 'MIN_VALUE']]],
    [{ part_id: part, operation_name: 'X', sequence: 5, status: 'done' }, [['status', 'ENUM_CONSTRAINT']]],
  ];
  for (const [body, expected] of cases) {
    const r = await api('POST', 'api-operations', { body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.deepEqual(detail(r), expected, JSON.stringify(body));
  }
  const ops = await api('GET', `api-operations?part_id=${part}`);
  assert.equal(ops.body.data.pagination.total, 1, 'only the original operation exists');
});

test('GET /api-operations: the reference example and every filter and sort return exactly the expected rows', async () => {
  const mill = unique('Mill');
  const emp = (await api('POST', 'api-operators', { body: { full_name: 'Op One', employee_id: unique('E') } })).body.data.operator;
  const job = await createJob({
    parts: [
      { part_number: 'A', quantity: 1, operations: [
        { operation_name: 'Rough mill', cell_name: mill, status: 'in_progress', estimated_time: 30, assigned_operator_id: emp.id },
        { operation_name: 'Finish mill', cell_name: mill, estimated_time: 10 },
        { operation_name: 'Deburr', cell_name: unique('Bench'), status: 'in_progress', estimated_time: 5 },
      ] },
      { part_number: 'B', quantity: 1, operations: [{ operation_name: 'Saw', cell_name: mill, status: 'in_progress', estimated_time: 20 }] },
    ],
  });
  const [a, b] = job.parts;
  const opIds = (r) => r.body.data.operations.map((o) => o.id);
  const q = (s) => api('GET', `api-operations?${s}`);
  assert.deepEqual(opIds(await q(`part_id=${a.part_id}&status=in_progress&cell_name=${mill.slice(0, 8)}`)), [a.operations[0].operation_id]);
  assert.deepEqual(opIds(await q(`job_id=${job.job_id}&sort_by=estimated_time&sort_order=desc`)), [a.operations[0], b.operations[0], a.operations[1], a.operations[2]].map((o) => o.operation_id));
  assert.deepEqual(opIds(await q(`job_id=${job.job_id}&search=mill&sort_by=sequence`)), [a.operations[0], a.operations[1]].map((o) => o.operation_id));
  assert.deepEqual(opIds(await q(`assigned_operator_id=${emp.id}`)), [a.operations[0].operation_id]);
  const cellId = (await q(`part_id=${b.part_id}`)).body.data.operations[0].cell_id;
  assert.deepEqual(opIds(await q(`cell_id=${cellId}&job_id=${job.job_id}&sort_by=created_at&sort_order=asc&limit=1&offset=1`)).length, 1);
  const uncounted = await q(`job_id=${job.job_id}&include_count=false`);
  assert.equal(uncounted.body.data.pagination.total, null);
  assert.equal((await q(`job_id=${job.job_id}&include_count=true`)).body.data.pagination.total, 4);
  assert.equal((await q('sort_by=name')).status, 400);
});

test('operations: PATCH (cell by name, operator) and DELETE; status is not patchable', async () => {
  const job = await createJob();
  const op = job.parts[0].operations[0].operation_id;
  const name = unique('Lathe');
  const r = await api('PATCH', `api-operations?id=${op}`, { body: { cell_name: name, estimated_time_minutes: 45, status: 'completed' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.operation.estimated_time, 45);
  assert.equal(r.body.data.operation.status, 'not_started');
  assert.deepEqual(r.body.meta.ignored_fields, ['status']);
  const got = (await api('GET', `api-operations?id=${op}`)).body.data.operation;
  assert.equal(got.cell_name, name);
  assert.equal((await api('DELETE', `api-operations?id=${op}`)).status, 200);
  assert.equal((await api('GET', `api-operations?id=${op}`)).status, 404);
});

test("parts and operations of another tenant are 404 and never listed", async () => {
  const job = await createJob();
  const part = job.parts[0].part_id;
  const op = job.parts[0].operations[0].operation_id;
  const asB = { key: SEED.b };
  for (const path of [`api-parts?id=${part}`, `api-operations?id=${op}`]) {
    assert.equal((await api('GET', path, asB)).status, 404);
    assert.equal((await api('PATCH', path, { ...asB, body: { notes: 'x' } })).status, 404);
    assert.equal((await api('DELETE', path, asB)).status, 404);
  }
  assert.equal((await api('GET', `api-parts?job_id=${job.job_id}`, asB)).body.data.pagination.total, 0);
  assert.equal((await api('GET', `api-operations?part_id=${part}`, asB)).body.data.pagination.total, 0);
  const r = await api('POST', 'api-parts', { ...asB, body: { job_id: job.job_id, part_number: 'X', quantity: 1 } });
  assert.deepEqual(detail(r), [['job_id', 'FK_CONSTRAINT']]);
  assert.equal((await api('GET', `api-parts?id=${part}`)).status, 200, 'still there for its owner');
});
