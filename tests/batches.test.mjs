// api-batches and api-batch-lifecycle: nests of operations from many jobs, their time shared
// out at stop. The test clock sets start and stop times, so shares are known numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createJob, createOperator, minute, roundTrips, SEED, unique } from './client.mjs';

const operator = () => createOperator(SEED.a, 'Laser Op');
const opsOf = async (estimates) => {
  const job = await createJob({ parts: estimates.map((e, i) => ({ part_number: `P${i}`, quantity: 1, operations: [{ operation_name: `Cut ${i}`, ...(e === null ? {} : { estimated_time: e }) }] })) });
  return { job, ops: job.parts.map((p) => p.operations[0].operation_id) };
};
const batchOf = async (ops, extra = {}) => {
  const r = await api('POST', 'api-batches', { body: { batch_number: unique('NEST'), batch_type: 'laser_nesting', operation_ids: ops, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.data.batch;
};
const life = (action, id, at, operatorId) => api('POST', `api-batch-lifecycle/${action}?id=${id}${operatorId ? `&operator_id=${operatorId}` : ''}`, { at });

test('the reference batch examples work verbatim', async () => {
  const cell = (await api('POST', 'api-cells', { body: { name: unique('Laser') } })).body.data.cell;
  const { ops } = await opsOf([10, 20]);
  const made = await api('POST', 'api-batches', {
    body: { batch_number: 'NEST-2026-001', batch_type: 'laser_nesting', cell_id: cell.id, material: 'SS304', thickness_mm: 2, operation_ids: ops },
  });
  assert.equal(made.status, 201);
  const b = made.body.data.batch;
  assert.deepEqual([b.batch_number, b.batch_type, b.status, b.cell_id, b.material, b.thickness_mm], ['NEST-2026-001', 'laser_nesting', 'draft', cell.id, 'SS304', 2]);
  assert.deepEqual(b.operations.map((o) => o.id), ops);
  const ready = await api('PATCH', `api-batches?id=${b.id}`, { body: { status: 'ready', notes: 'Released to production' } });
  assert.deepEqual([ready.status, ready.body.data.batch.status, ready.body.data.batch.notes], [200, 'ready', 'Released to production']);
  const listed = await api('GET', 'api-batches?status=ready&batch_type=laser_nesting&limit=50');
  const row = listed.body.data.batches.find((x) => x.id === b.id);
  assert.deepEqual([row.cell_name, row.operations_count], [cell.name, 2]);
  assert.deepEqual((await api('GET', `api-batches?search=SS30&cell_id=${cell.id}`)).body.data.batches.map((x) => x.id), [b.id]);
  const extra = await opsOf([5]);
  const added = await api('POST', `api-batch-lifecycle/add-operations?id=${b.id}`, { body: { operation_ids: extra.ops } });
  assert.deepEqual(added.body.data.batch.operations.map((o) => o.id), [...ops, ...extra.ops]);
  const user = await operator();
  assert.equal((await api('POST', `api-batch-lifecycle/start?id=${b.id}&operator_id=${user}`)).status, 200);
  const stopped = await api('POST', `api-batch-lifecycle/stop?id=${b.id}`);
  assert.deepEqual([stopped.status, stopped.body.data.new_status], [200, 'completed']);
});

test('stop shares the minutes by estimated time: known numbers, exact sum, time entries and roll-up', async () => {
  const user = await operator();
  const { job, ops } = await opsOf([60, 30, 10]);
  const b = await batchOf(ops);
  const started = await life('start', b.id, minute(0), user);
  assert.equal(started.status, 200);
  assert.deepEqual(started.body.data.operations.map((o) => o.status), ['in_progress', 'in_progress', 'in_progress']);
  const jobNow = (await api('GET', `api-jobs?id=${job.job_id}`)).body.data.job;
  assert.deepEqual([jobNow.status, jobNow.started_at, jobNow.parts.map((p) => p.status)], ['in_progress', minute(0), ['in_progress', 'in_progress', 'in_progress']]);
  const stop = await life('stop', b.id, minute(100));
  assert.equal(stop.status, 200);
  assert.equal(stop.body.data.total_minutes, 100);
  assert.deepEqual(stop.body.data.operations.map((o) => o.minutes), [60, 30, 10]);
  for (const [i, op] of ops.entries()) {
    const o = (await api('GET', `api-operations?id=${op}`)).body.data.operation;
    assert.deepEqual([o.status, o.actual_time, o.completion_percentage, o.completed_at], ['completed', [60, 30, 10][i], 100, minute(100)]);
    const entries = (await api('GET', `api-time-entries?operation_id=${op}`)).body.data.time_entries;
    assert.deepEqual(entries.map((e) => [e.operator_id, e.start_time, e.end_time, e.duration]), [[user, minute(0), minute(100), [60, 30, 10][i]]]);
  }
  const done = (await api('GET', `api-jobs?id=${job.job_id}`)).body.data.job;
  assert.deepEqual(done.parts.map((p) => p.status), ['completed', 'completed', 'completed']);
  const batch = (await api('GET', `api-batches?id=${b.id}`)).body.data.batch;
  assert.deepEqual([batch.status, batch.actual_time, batch.started_at, batch.completed_at, batch.operator_id], ['completed', 100, minute(0), minute(100), user]);
});

test('stop shares equally when an estimate is missing; the remainder goes to the first', async () => {
  const user = await operator();
  const { ops } = await opsOf([5, null, 1]);
  const b = await batchOf(ops);
  await life('start', b.id, minute(0), user);
  const stop = await life('stop', b.id, minute(10));
  assert.deepEqual(stop.body.data.operations.map((o) => o.minutes), [3.34, 3.33, 3.33]);
  const sum = stop.body.data.operations.reduce((s, o) => s + Math.round(o.minutes * 100), 0);
  assert.equal(sum, 1000, 'the shares add up to exactly 10 minutes');
});

test('a batch of 50 operations starts and stops in 2 round trips each, shares adding up exactly', async () => {
  const user = await operator();
  const job = await createJob({ parts: [{ part_number: 'BIG', quantity: 1, operations: Array.from({ length: 50 }, (_, i) => ({ operation_name: `Op ${i}`, estimated_time: 1 + (i % 7) })) }] });
  const ops = job.parts[0].operations.map((o) => o.operation_id);
  const b = await batchOf(ops);
  const start = await life('start', b.id, minute(0), user);
  assert.equal(roundTrips(start.res), 2);
  const stop = await life('stop', b.id, minute(97));
  assert.equal(roundTrips(stop.res), 2);
  assert.equal(stop.body.data.operations.length, 50);
  assert.equal(stop.body.data.operations.reduce((s, o) => s + Math.round(o.minutes * 100), 0), 9700);
  assert.equal((await api('GET', `api-jobs?id=${job.job_id}`)).body.data.job.parts[0].status, 'completed');
});

test('refused and unchanged: a double-assigned operation, adding to a running batch, starting a completed batch', async () => {
  const user = await operator();
  const { ops } = await opsOf([1, 1, 1]);
  const first = await batchOf([ops[0], ops[1]]);
  const number = unique('NEST');
  const dup = await api('POST', 'api-batches', { body: { batch_number: number, operation_ids: [ops[2], ops[1]] } });
  assert.equal(dup.status, 409);
  assert.match(dup.body.error.message, /already in active batch/);
  assert.equal((await api('GET', `api-batches?search=${number}`)).body.data.pagination.total, 0, 'nothing was written');
  await life('start', first.id, minute(0), user);
  const adding = await api('POST', `api-batch-lifecycle/add-operations?id=${first.id}`, { body: { operation_ids: [ops[2]] } });
  assert.equal(adding.status, 409);
  assert.equal((await api('GET', `api-batches?id=${first.id}`)).body.data.batch.operations.length, 2, 'unchanged');
  assert.equal((await life('start', first.id, minute(1), user)).status, 409, 'already running');
  await life('stop', first.id, minute(5));
  const again = await life('start', first.id, minute(6), user);
  assert.equal(again.status, 409);
  assert.match(again.body.error.message, /it is completed/);
  const afterwards = await batchOf([ops[0]]);
  assert.equal(afterwards.operations.length, 1, 'a completed batch releases its operations');
});

test('PATCH machine, cancel releases operations, delete only before start, operator rules', async () => {
  const { ops } = await opsOf([1]);
  const b = await batchOf(ops);
  assert.equal((await api('PATCH', `api-batches?id=${b.id}`, { body: { status: 'in_progress' } })).status, 409);
  assert.equal((await api('PATCH', `api-batches?id=${b.id}`, { body: { status: 'cancelled' } })).status, 200);
  assert.equal((await api('PATCH', `api-batches?id=${b.id}`, { body: { status: 'ready' } })).status, 409, 'cancelled is final');
  const next = await batchOf(ops);
  assert.equal((await life('start', next.id, minute(0), '00000000-0000-4000-8000-000000000000')).body.error.details[0].constraint, 'FK_CONSTRAINT');
  await life('start', next.id, minute(0), await operator());
  assert.equal((await api('DELETE', `api-batches?id=${next.id}`)).status, 409);
  assert.equal((await api('DELETE', `api-batches?id=${b.id}`)).status, 200, 'a cancelled batch that never started may go');
  const bad = await api('POST', 'api-batches', { body: { batch_number: unique('N'), batch_type: 'plasma', thickness_mm: -1, operation_ids: 'x' } });
  assert.deepEqual(bad.body.error.details.map((d) => d.field).sort(), ['batch_type', 'operation_ids', 'thickness_mm']);
});

test("batches of another tenant are 404; another tenant's operations are FK_CONSTRAINT", async () => {
  const { ops } = await opsOf([1]);
  const b = await batchOf(ops);
  const asB = { key: SEED.b };
  assert.equal((await api('GET', `api-batches?id=${b.id}`, asB)).status, 404);
  assert.equal((await api('PATCH', `api-batches?id=${b.id}`, { ...asB, body: { notes: 'x' } })).status, 404);
  assert.equal((await api('POST', `api-batch-lifecycle/stop?id=${b.id}`, asB)).status, 404);
  assert.equal((await api('DELETE', `api-batches?id=${b.id}`, asB)).status, 404);
  const r = await api('POST', 'api-batches', { ...asB, body: { batch_number: unique('N'), operation_ids: ops } });
  assert.deepEqual(r.body.error.details.map((d) => [d.field, d.constraint]), [['operation_ids[0]', 'FK_CONSTRAINT']]);
});

test('a batch started and deleted at once: never an operation in progress without its batch', async () => {
  const user = await operator();
  for (let round = 0; round < 5; round += 1) {
    const { ops } = await opsOf([10]);
    const b = await batchOf(ops);
    const [started, deleted] = await Promise.all([life('start', b.id, undefined, user), api('DELETE', `api-batches?id=${b.id}`)]);
    const op = (await api('GET', `api-operations?id=${ops[0]}`)).body.data.operation;
    const open = (await api('GET', `api-time-entries?operation_id=${ops[0]}`)).body.data.time_entries.filter((t) => !t.end_time);
    if (deleted.status === 200) {
      assert.notEqual(started.status, 200, `round ${round}: a deleted batch was not started too`);
      assert.equal(op.status, 'not_started', `round ${round}`);
      assert.equal(open.length, 0, `round ${round}: no open time entry`);
    } else {
      assert.deepEqual([started.status, deleted.status], [200, 409], `round ${round}`);
      assert.equal((await api('GET', `api-batches?id=${b.id}`)).status, 200, `round ${round}: the started batch is still there`);
      assert.equal(op.status, 'in_progress');
      assert.equal((await life('stop', b.id)).status, 200);
    }
  }
});

test('the reference start example verbatim: a nest starts without an operator, and its time is shared out as machine time', async () => {
  const { ops } = await opsOf([30, 10]);
  const b = await batchOf(ops);
  const started = await api('POST', `api-batch-lifecycle/start?id=${b.id}`, { at: minute(0) });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const open = (await api('GET', `api-time-entries?operation_id=${ops[0]}`)).body.data.time_entries;
  assert.deepEqual(open.map((t) => [t.operator_id, t.time_type, t.end_time]), [[null, 'machine', null]]);
  const stopped = await api('POST', `api-batch-lifecycle/stop?id=${b.id}`, { at: minute(20) });
  assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
  const entries = [];
  for (const op of ops) entries.push(...(await api('GET', `api-time-entries?operation_id=${op}`)).body.data.time_entries);
  assert.ok(entries.every((t) => t.operator_id === null && t.time_type === 'machine'), JSON.stringify(entries));
  assert.deepEqual(entries.map((t) => t.duration).sort((x, y) => y - x), [15, 5], '20 minutes shared 3:1 by estimate');
});
