// api-job-lifecycle, api-operation-lifecycle and api-time-entries. Time is set per request
// with the test clock (X-Eryxon-Test-Now, honoured only by the test stack), so minutes and
// timestamps are exact without sleeping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createJob, createOperator, minute, SEED, unique } from './client.mjs';

const jobAction = (id, action, at) => api('POST', `api-job-lifecycle/${action}?id=${id}`, { at });
const opAction = (id, action, at, user) => api('POST', `api-operation-lifecycle/${action}?id=${id}${user ? `&user_id=${user}` : ''}`, { at });
const getJob = async (id) => (await api('GET', `api-jobs?id=${id}`)).body.data.job;
const getOp = async (id) => (await api('GET', `api-operations?id=${id}`)).body.data.operation;
const operator = (key = SEED.a) => createOperator(key, 'Operator');

/** Drives a job (or operation) from not_started into `state` through the lifecycle. */
const jobPaths = { not_started: [], in_progress: ['start'], on_hold: ['start', 'stop'], completed: ['start', 'complete'] };
const opPaths = { not_started: [], in_progress: ['start'], on_hold: ['start', 'pause'], completed: ['start', 'complete'] };

test('job lifecycle: every action from every state, allowed or 409 with the job unchanged', async () => {
  const allowed = { start: ['not_started', 'on_hold'], stop: ['in_progress'], resume: ['on_hold'], complete: ['in_progress'] };
  for (const [action, sources] of Object.entries(allowed)) {
    for (const [state, path] of Object.entries(jobPaths)) {
      const { job_id } = await createJob();
      for (const step of path) assert.equal((await jobAction(job_id, step)).status, 200);
      const before = await getJob(job_id);
      const r = await jobAction(job_id, action);
      if (sources.includes(state)) {
        assert.equal(r.status, 200, `${action} from ${state}`);
        assert.deepEqual([r.body.data.operation, r.body.data.previous_status, r.body.data.new_status], [action, state, r.body.data.job.status]);
      } else {
        assert.equal(r.status, 409, `${action} from ${state}`);
        assert.match(r.body.error.message, new RegExp(`it is ${state}`));
        assert.deepEqual(await getJob(job_id), before, 'a refused action changes nothing');
      }
    }
  }
});

test('job lifecycle: timestamps and actual_duration in minutes; the reference response shape', async () => {
  const { job_id, job_number } = await createJob();
  const start = await jobAction(job_id, 'start', minute(0));
  assert.deepEqual(Object.keys(start.body.data), ['job', 'operation', 'previous_status', 'new_status']);
  const j = start.body.data.job;
  assert.deepEqual([j.id, j.job_number, j.status, j.started_at, j.completed_at], [job_id, job_number, 'in_progress', minute(0), null]);
  const stop = (await jobAction(job_id, 'stop', minute(30))).body.data.job;
  assert.deepEqual([stop.status, stop.paused_at], ['on_hold', minute(30)]);
  const again = (await jobAction(job_id, 'start', minute(60))).body.data.job;
  assert.deepEqual([again.status, again.started_at, again.paused_at], ['in_progress', minute(0), null], 'started_at is set the first time only');
  await jobAction(job_id, 'stop', minute(70));
  const resumed = (await jobAction(job_id, 'resume', minute(80))).body.data.job;
  assert.deepEqual([resumed.resumed_at, resumed.paused_at], [minute(80), null]);
  const done = await jobAction(job_id, 'complete', minute(390));
  assert.deepEqual([done.body.data.job.completed_at, done.body.data.job.actual_duration, done.body.data.new_status], [minute(390), 390, 'completed']);
});

test('operation lifecycle: every action from every state, allowed or 409 with the operation unchanged', async () => {
  const user = await operator();
  const allowed = { start: ['not_started', 'on_hold'], pause: ['in_progress'], resume: ['on_hold'], complete: ['in_progress', 'on_hold'] };
  for (const [action, sources] of Object.entries(allowed)) {
    for (const [state, path] of Object.entries(opPaths)) {
      const job = await createJob();
      const op = job.parts[0].operations[0].operation_id;
      for (const step of path) assert.equal((await opAction(op, step, undefined, user)).status, 200);
      const before = await getOp(op);
      const r = await opAction(op, action, undefined, user);
      if (sources.includes(state)) {
        assert.equal(r.status, 200, `${action} from ${state}`);
        assert.deepEqual([r.body.data.operation_type, r.body.data.previous_status, r.body.data.new_status], [action, state, r.body.data.operation.status]);
      } else {
        assert.equal(r.status, 409, `${action} from ${state}`);
        assert.deepEqual(await getOp(op), before, 'a refused action changes nothing');
      }
    }
  }
});

test('operation lifecycle: time entries, minutes and the reference complete response', async () => {
  const user = await operator();
  const job = await createJob({ parts: [{ part_number: 'PART-001', quantity: 1, operations: [{ operation_name: 'CNC Milling', estimated_time: 120 }] }] });
  const op = job.parts[0].operations[0].operation_id;
  const started = await opAction(op, 'start', minute(0), user);
  assert.equal(started.status, 200);
  assert.deepEqual([started.body.data.time_entry.operator_id, started.body.data.time_entry.start_time, started.body.data.time_entry_ended], [user, minute(0), false]);
  const paused = (await opAction(op, 'pause', minute(45))).body.data;
  assert.deepEqual([paused.operation.status, paused.operation.paused_at, paused.operation.actual_time, paused.time_entry_ended], ['on_hold', minute(45), 45, true]);
  await opAction(op, 'resume', minute(60), user);
  const done = await opAction(op, 'complete', minute(150));
  assert.equal(done.status, 200);
  const d = done.body.data;
  assert.deepEqual(Object.keys(d), ['operation', 'operation_type', 'previous_status', 'new_status', 'time_entry_ended']);
  const o = d.operation;
  assert.deepEqual(
    [o.operation_name, o.status, o.estimated_time, o.actual_time, o.completion_percentage, o.part.part_number, o.part.job.job_number],
    ['CNC Milling', 'completed', 120, 135, 100, 'PART-001', job.job_number],
  );
  assert.deepEqual([d.operation_type, d.previous_status, d.new_status, d.time_entry_ended], ['complete', 'in_progress', 'completed', true]);
  const entries = (await api('GET', `api-time-entries?operation_id=${op}&sort_by=start_time`)).body.data.time_entries;
  assert.deepEqual(entries.map((e) => [e.start_time, e.end_time, e.duration, e.operator_id, e.job_number]), [
    [minute(0), minute(45), 45, user, job.job_number],
    [minute(60), minute(150), 90, user, job.job_number],
  ]);
});

test('roll-up: the first started operation starts its part and job; the last completed one completes its part', async () => {
  const user = await operator();
  const job = await createJob({
    parts: [
      { part_number: 'A', quantity: 1, operations: [{ operation_name: 'A1' }, { operation_name: 'A2' }] },
      { part_number: 'B', quantity: 1, operations: [{ operation_name: 'B1' }] },
    ],
  });
  const [a1, a2] = job.parts[0].operations.map((o) => o.operation_id);
  const part = async (i) => (await getJob(job.job_id)).parts[i];
  await opAction(a1, 'start', minute(0), user);
  assert.deepEqual([(await part(0)).status, (await part(0)).started_at, (await part(1)).status], ['in_progress', minute(0), 'not_started']);
  assert.deepEqual([(await getJob(job.job_id)).status, (await getJob(job.job_id)).started_at], ['in_progress', minute(0)]);
  await opAction(a1, 'complete', minute(10));
  assert.equal((await part(0)).status, 'in_progress', 'A2 is not done yet');
  await opAction(a2, 'start', minute(20), user);
  await opAction(a2, 'complete', minute(30));
  assert.deepEqual([(await part(0)).status, (await part(0)).completed_at], ['completed', minute(30)]);
  assert.equal((await getJob(job.job_id)).status, 'in_progress', 'a job is completed by the office, not by roll-up');
});

test('the operator: user_id, else the assigned operator, else machine time; unknown, foreign or deactivated is 422', async () => {
  const unattended = (await createJob()).parts[0].operations[0].operation_id;
  const machine = await opAction(unattended, 'start');
  assert.equal(machine.status, 200, JSON.stringify(machine.body));
  assert.deepEqual([machine.body.data.time_entry.operator_id, machine.body.data.time_entry.time_type], [null, 'machine'], 'nobody given or assigned: unattended');
  const listed = (await api('GET', `api-time-entries?operation_id=${unattended}`)).body.data.time_entries;
  assert.deepEqual(listed.map((t) => [t.operator_id, t.time_type]), [[null, 'machine']]);
  const job = await createJob();
  const op = job.parts[0].operations[0].operation_id;
  const unknown = await opAction(op, 'start', undefined, '00000000-0000-4000-8000-000000000000');
  assert.equal(unknown.body.error.details[0].constraint, 'FK_CONSTRAINT');
  const foreign = await opAction(op, 'start', undefined, await operator(SEED.b));
  assert.equal(foreign.body.error.details[0].constraint, 'FK_CONSTRAINT');
  const retired = await operator();
  await api('PATCH', `api-operators?id=${retired}`, { body: { active: false } });
  assert.match((await opAction(op, 'start', undefined, retired)).body.error.details[0].message, /deactivated/);
  assert.equal((await getOp(op)).status, 'not_started', 'nothing moved');
  const assigned = await operator();
  await api('PATCH', `api-operations?id=${op}`, { body: { assigned_operator_id: assigned } });
  const r = await opAction(op, 'start');
  assert.equal(r.status, 200);
  assert.equal(r.body.data.time_entry.operator_id, assigned);
});

test('ten concurrent starts and completes: one winner each, one time entry, minutes counted once', async () => {
  const user = await operator();
  const job = await createJob();
  const op = job.parts[0].operations[0].operation_id;
  const starts = await Promise.all(Array.from({ length: 10 }, () => opAction(op, 'start', minute(0), user)));
  assert.deepEqual(starts.map((r) => r.status).sort(), [200, ...Array(9).fill(409)]);
  const open = (await api('GET', `api-time-entries?operation_id=${op}&open=true`)).body.data;
  assert.equal(open.pagination.total, 1, 'exactly one open entry');
  const completes = await Promise.all(Array.from({ length: 10 }, () => opAction(op, 'complete', minute(20))));
  assert.deepEqual(completes.map((r) => r.status).sort(), [200, ...Array(9).fill(409)]);
  const entries = (await api('GET', `api-time-entries?operation_id=${op}`)).body.data.time_entries;
  assert.deepEqual(entries.map((e) => [e.duration, e.end_time]), [[20, minute(20)]]);
  assert.equal((await getOp(op)).actual_time, 20);
  const jobs = await Promise.all(Array.from({ length: 10 }, () => jobAction(job.job_id, 'stop', minute(30))));
  assert.deepEqual(jobs.map((r) => r.status).sort(), [200, ...Array(9).fill(409)]);
});

test("lifecycle and time entries of another tenant are 404 and never listed", async () => {
  const user = await operator();
  const job = await createJob();
  const op = job.parts[0].operations[0].operation_id;
  await opAction(op, 'start', minute(0), user);
  assert.equal((await api('POST', `api-job-lifecycle/stop?id=${job.job_id}`, { key: SEED.b })).status, 404);
  assert.equal((await api('POST', `api-operation-lifecycle/pause?id=${op}`, { key: SEED.b })).status, 404);
  assert.equal((await api('GET', `api-time-entries?operation_id=${op}`, { key: SEED.b })).body.data.pagination.total, 0);
  const mine = (await api('GET', `api-time-entries?operation_id=${op}`)).body.data.time_entries[0];
  assert.equal((await api('GET', `api-time-entries?id=${mine.id}`, { key: SEED.b })).status, 404);
  assert.equal((await api('GET', `api-time-entries?id=${mine.id}`)).body.data.time_entry.id, mine.id);
});

test('time entries filter by operator, job, open and a date range', async () => {
  const [u1, u2] = [await operator(), await operator()];
  const job = await createJob({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x' }, { operation_name: 'y' }] }] });
  const [x, y] = job.parts[0].operations.map((o) => o.operation_id);
  await opAction(x, 'start', '2026-03-01T08:00:00.000Z', u1);
  await opAction(x, 'complete', '2026-03-01T09:00:00.000Z');
  await opAction(y, 'start', '2026-03-02T08:00:00.000Z', u2);
  const q = async (s) => (await api('GET', `api-time-entries?job_id=${job.job_id}&${s}`)).body.data.time_entries.map((e) => e.operation_id);
  assert.deepEqual(await q(`operator_id=${u1}`), [x]);
  assert.deepEqual(await q(`user_id=${u2}`), [y]);
  assert.deepEqual(await q('open=true'), [y]);
  assert.deepEqual(await q('from=2026-03-01&to=2026-03-02'), [x], 'to is exclusive, a date is its whole day');
  assert.deepEqual(await q('from=2026-03-02'), [y]);
  assert.equal((await api('GET', 'api-time-entries?from=tomorrow')).status, 400);
});

test('lifecycle routes: unknown actions are 404, other methods 405', async () => {
  const { job_id } = await createJob();
  assert.equal((await api('POST', `api-job-lifecycle/explode?id=${job_id}`)).status, 404);
  assert.equal((await api('GET', `api-job-lifecycle/start?id=${job_id}`)).status, 405);
  assert.equal((await api('POST', `api-job-lifecycle/start?id=nope`)).status, 400);
  assert.equal((await api('POST', 'api-time-entries', { body: {} })).status, 405);
});
