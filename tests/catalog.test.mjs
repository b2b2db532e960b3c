// api-cells, api-materials, api-operators, api-substeps: the catalog entities.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createJob, SEED, unique } from './client.mjs';

const ids = (rows) => rows.map((r) => r.id);

test('cells: create, unique name ignoring case (409), get, list filters, PATCH, DELETE', async () => {
  const name = unique('Laser');
  const made = await api('POST', 'api-cells', { body: { name, description: 'Fiber laser' } });
  assert.equal(made.status, 201);
  const cell = made.body.data.cell;
  assert.deepEqual([cell.name, cell.description, cell.active], [name, 'Fiber laser', true]);
  const dup = await api('POST', 'api-cells', { body: { name: name.toLowerCase() } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'CONFLICT');
  assert.equal((await api('GET', `api-cells?id=${cell.id}`)).body.data.cell.id, cell.id);

  const other = (await api('POST', 'api-cells', { body: { name: `${name}-B`, active: false } })).body.data.cell;
  const list = await api('GET', `api-cells?name=${name}&sort_by=name`);
  assert.deepEqual(ids(list.body.data.cells), [cell.id, other.id]);
  assert.equal(list.body.data.pagination.total, 2);
  assert.deepEqual(ids((await api('GET', `api-cells?name=${name}&active=false`)).body.data.cells), [other.id]);

  const patched = await api('PATCH', `api-cells?id=${cell.id}`, { body: { description: null, active: false } });
  assert.equal(patched.status, 200);
  assert.deepEqual([patched.body.data.cell.description, patched.body.data.cell.active], [null, false]);
  assert.equal((await api('PATCH', `api-cells?id=${cell.id}`, { body: { name: other.name } })).status, 409, 'renaming onto another cell');
  assert.equal((await api('DELETE', `api-cells?id=${other.id}`)).status, 200);
  assert.equal((await api('GET', `api-cells?id=${other.id}`)).status, 404);
});

test('a cell still used by operations cannot be deleted (409) and stays', async () => {
  const name = unique('Brake');
  const job = await createJob({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'Bend', cell_name: name }] }] });
  const cellId = (await api('GET', `api-jobs?id=${job.job_id}`)).body.data.job.parts[0].operations[0].cell_id;
  const r = await api('DELETE', `api-cells?id=${cellId}`);
  assert.equal(r.status, 409);
  assert.match(r.body.error.message, /still used by operations/);
  assert.equal((await api('GET', `api-cells?id=${cellId}`)).status, 200);
  await api('DELETE', `api-jobs?id=${job.job_id}`);
  assert.equal((await api('DELETE', `api-cells?id=${cellId}`)).status, 200, 'free once the job is gone');
});

test('materials: unique names, validation, and no cross-tenant visibility', async () => {
  const name = unique('SS304');
  const m = (await api('POST', 'api-materials', { body: { name } })).body.data.material;
  assert.equal((await api('POST', 'api-materials', { body: { name } })).status, 409);
  const bad = await api('POST', 'api-materials', { body: { description: 7 } });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.error.details.map((d) => [d.field, d.constraint]), [['name', 'NOT_NULL'], ['description', 'TYPE_MISMATCH']]);
  assert.equal((await api('GET', `api-materials?id=${m.id}`, { key: SEED.b })).status, 404);
  assert.equal((await api('PATCH', `api-materials?id=${m.id}`, { key: SEED.b, body: { name: 'x' } })).status, 404);
  assert.equal((await api('DELETE', `api-materials?id=${m.id}`, { key: SEED.b })).status, 404);
  assert.equal((await api('GET', `api-materials?name=${name}`, { key: SEED.b })).body.data.pagination.total, 0);
  assert.equal((await api('POST', 'api-materials', { key: SEED.b, body: { name } })).status, 201, 'same name in another tenant');
});

test('operators: create, unique employee_id, role enum, search', async () => {
  const emp = unique('E');
  const op = await api('POST', 'api-operators', { body: { full_name: 'Ada Welder', employee_id: emp, email: `${emp}@shop.example` } });
  assert.equal(op.status, 201);
  assert.deepEqual([op.body.data.operator.role, op.body.data.operator.active], ['operator', true]);
  assert.equal((await api('POST', 'api-operators', { body: { full_name: 'Other', employee_id: emp } })).status, 409);
  const bad = await api('POST', 'api-operators', { body: { full_name: 'X', role: 'boss' } });
  assert.equal(bad.body.error.details[0].constraint, 'ENUM_CONSTRAINT');
  const found = await api('GET', `api-operators?search=${emp}`);
  assert.deepEqual(ids(found.body.data.operators), [op.body.data.operator.id]);
});

test('substeps: the reference examples, completion stamps, order, uniqueness, cascade', async () => {
  const job = await createJob();
  const opId = job.parts[0].operations[0].operation_id;
  const r = await api('POST', 'api-substeps', { body: { operation_id: opId, description: 'Measure hole diameter with caliper', sequence: 1 } });
  assert.equal(r.status, 201);
  const s = r.body.data.substep;
  assert.deepEqual(
    { operation_id: s.operation_id, description: s.description, sequence: s.sequence, completed: s.completed },
    { operation_id: opId, description: 'Measure hole diameter with caliper', sequence: 1, completed: false },
  );
  assert.equal((await api('POST', 'api-substeps', { body: { operation_id: opId, description: 'again', sequence: 1 } })).status, 409);
  const second = (await api('POST', 'api-substeps', { body: { operation_id: opId, description: 'Deburr', sequence: 2 } })).body.data.substep;

  const done = await api('PATCH', `api-substeps?id=${s.id}`, { body: { completed: true } });
  assert.equal(done.status, 200);
  assert.equal(done.body.data.substep.completed, true);
  assert.ok(done.body.data.substep.completed_at);
  const undone = await api('PATCH', `api-substeps?id=${s.id}`, { body: { completed: false } });
  assert.deepEqual([undone.body.data.substep.completed, undone.body.data.substep.completed_at], [false, null]);

  const list = await api('GET', `api-substeps?operation_id=${opId}`);
  assert.deepEqual(ids(list.body.data.substeps), [s.id, second.id]);
  const missing = await api('POST', 'api-substeps', { body: { operation_id: '00000000-0000-4000-8000-000000000000', description: 'x', sequence: 1 } });
  assert.equal(missing.status, 422);
  assert.equal(missing.body.error.details[0].constraint, 'FK_CONSTRAINT');
  const foreign = await api('POST', 'api-substeps', { key: SEED.b, body: { operation_id: opId, description: 'x', sequence: 9 } });
  assert.equal(foreign.body.error.details[0].constraint, 'FK_CONSTRAINT', "another tenant's operation is as good as missing");

  await api('DELETE', `api-jobs?id=${job.job_id}`);
  assert.equal((await api('GET', `api-substeps?id=${s.id}`)).status, 404, 'deleting the job took its substeps');
});
