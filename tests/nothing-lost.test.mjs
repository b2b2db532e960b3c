// Nothing an ERP mirrors disappears or goes wrong unnoticed: cascaded labour and NCRs in the
// deletion feed, orphaned parts in `updated_since`, one case-folding rule for cell names,
// deletes refused with what uses the row, exports a restore can use and a spreadsheet cannot
// run, and NCR numbering that survives any given number.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, BASE, createJob, createOperator, SEED, unique } from './client.mjs';

const operator = () => createOperator(SEED.a, 'Lost Op');
const deletedSince = async (since) => {
  const r = await api('GET', `api-deletions?since=${encodeURIComponent(since)}&limit=1000`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data.deletions;
};

let adminToken;
before(async () => {
  const r = await api('POST', 'api-auth/sign-in', { key: null, body: { email: SEED.adminA, password: SEED.password } });
  adminToken = r.body.data.access_token;
});

test('deleting a job lists its booked time entries and its NCRs in the deletion feed', async () => {
  const user = await operator();
  const job = await createJob();
  const op = job.parts[0].operations[0].operation_id;
  assert.equal((await api('POST', `api-operation-lifecycle/start?id=${op}&user_id=${user}`)).status, 200);
  assert.equal((await api('POST', `api-operation-lifecycle/complete?id=${op}`)).status, 200);
  const entries = (await api('GET', `api-time-entries?operation_id=${op}`)).body.data.time_entries;
  assert.equal(entries.length, 1);
  const ncr = (await api('POST', 'api-issues', { body: { operation_id: op, title: 'Scratch', issue_type: 'ncr' } })).body.data.issue;
  const since = new Date(Date.now() - 1000).toISOString();
  assert.equal((await api('DELETE', `api-jobs?id=${job.job_id}`)).status, 200);
  const feed = await deletedSince(since);
  const has = (entity, id) => feed.some((d) => d.entity === entity && d.id === id);
  assert.ok(has('job', job.job_id) && has('operation', op), 'the job and its operation');
  assert.ok(has('time_entry', entries[0].id), 'the booked labour');
  assert.ok(has('issue', ncr.id), 'the NCR');
  assert.equal((await api('GET', `api-deletions?entity=time_entry&since=${encodeURIComponent(since)}`)).body.data.deletions.length >= 1, true);
});

test('a part whose parent is deleted gets a new updated_at, so updated_since finds it', async () => {
  const job = await createJob();
  const parent = (await api('POST', 'api-parts', { body: { job_id: job.job_id, part_number: 'ASSY', quantity: 1 } })).body.data.part;
  const child = (await api('POST', 'api-parts', { body: { job_id: job.job_id, part_number: 'SUB', quantity: 1, parent_part_id: parent.id } })).body.data.part;
  await new Promise((resolve) => setTimeout(resolve, 20));
  const since = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal((await api('DELETE', `api-parts?id=${parent.id}`)).status, 200);
  const changed = (await api('GET', `api-parts?job_id=${job.job_id}&updated_since=${encodeURIComponent(since)}`)).body.data.parts;
  const orphan = changed.find((p) => p.id === child.id);
  assert.ok(orphan, 'the orphaned child is listed as changed');
  assert.equal(orphan.parent_part_id, null);
  assert.ok(orphan.updated_at >= since);
});

test('one case-folding rule for cell names: every operation naming a cell gets one, ASCII case aside', async () => {
  const tag = unique('C');
  const names = [`Schweißen-Ä-${tag}`, `schweißen-ä-${tag}`, `LASER-${tag}`, `laser-${tag}`];
  const job = await createJob({ parts: [{ part_number: 'P', quantity: 1, operations: names.map((cell_name, i) => ({ operation_name: `Op ${i}`, sequence: i + 1, cell_name })) }] });
  const ops = (await api('GET', `api-jobs?id=${job.job_id}`)).body.data.job.parts[0].operations;
  assert.ok(ops.every((o) => o.cell_id), JSON.stringify(ops.map((o) => [o.cell_name, o.cell_id])));
  const byName = Object.fromEntries(ops.map((o, i) => [names[i], o.cell_id]));
  assert.equal(byName[names[2]], byName[names[3]], 'ASCII case is one cell (the column is NOCASE)');
  assert.notEqual(byName[names[0]], byName[names[1]], 'non-ASCII case is two, as SQLite compares them');
  const synced = await api('PUT', 'api-operations/sync', {
    body: { external_id: unique('op'), part_id: job.parts[0].part_id, operation_name: 'Synced', sequence: 9, cell_name: names[1] },
  });
  assert.ok(synced.status < 300, JSON.stringify(synced.body));
  const read = (await api('GET', `api-operations?id=${synced.body.data.operation.id}`)).body.data.operation;
  assert.equal(read.cell_id, byName[names[1]], 'sync finds the same cell by the same rule');
});

test('a delete refused because other records use the row names what uses it, and suggests no retry', async () => {
  const cell = (await api('POST', 'api-cells', { body: { name: unique('Used') } })).body.data.cell;
  const batch = (await api('POST', 'api-batches', { body: { batch_number: unique('B'), cell_id: cell.id } })).body.data.batch;
  const cellDelete = await api('DELETE', `api-cells?id=${cell.id}`);
  assert.equal(cellDelete.status, 409);
  assert.match(cellDelete.body.error.message, /used by batches/);
  assert.doesNotMatch(cellDelete.body.error.message, /retry/i);
  const child = (await api('POST', 'api-batches', { body: { batch_number: unique('C'), parent_batch_id: batch.id } })).body.data.batch;
  const parentDelete = await api('DELETE', `api-batches?id=${batch.id}`);
  assert.equal(parentDelete.status, 409);
  assert.match(parentDelete.body.error.message, new RegExp(`parent of batch ${child.batch_number}`));
  assert.doesNotMatch(parentDelete.body.error.message, /retry/i);
  const user = await operator();
  const opBatch = (await api('POST', 'api-batches', { body: { batch_number: unique('O') } })).body.data.batch;
  const ops = (await createJob()).parts[0].operations.map((o) => o.operation_id);
  await api('POST', `api-batch-lifecycle/add-operations?id=${opBatch.id}`, { body: { operation_ids: ops } });
  await api('POST', `api-batch-lifecycle/start?id=${opBatch.id}&operator_id=${user}`);
  await api('POST', `api-batch-lifecycle/stop?id=${opBatch.id}`);
  const userDelete = await api('DELETE', `api-operators?id=${user}`);
  assert.equal(userDelete.status, 409);
  assert.match(userDelete.body.error.message, /batches/);
  assert.equal((await api('DELETE', `api-batches?id=${child.id}`)).status, 200);
  assert.equal((await api('DELETE', `api-batches?id=${batch.id}`)).status, 200, 'without its child, the parent goes');
});

test('export: ERP identities and NCR counters for a restore; CSV cells a spreadsheet would run are neutralised', async () => {
  const external = unique('ERP');
  const synced = await api('PUT', 'api-jobs/sync', { body: { external_id: external, job_number: unique('X'), customer: '=HYPERLINK("http://evil.example","x")' } });
  assert.ok(synced.status < 300, JSON.stringify(synced.body));
  await api('POST', 'api-issues', { body: { operation_id: (await createJob()).parts[0].operations[0].operation_id, title: 'NCR', issue_type: 'ncr' } });
  const headers = { authorization: `Bearer ${adminToken}` };
  const json = await (await fetch(`${BASE}/functions/v1/api-export?entities=jobs,ncr_sequences`, { headers })).json();
  const row = json.data.jobs.find((j) => j.external_id === external);
  assert.ok(row, 'the job carries its external id');
  assert.equal(row.external_source, 'default');
  assert.ok(json.data.ncr_sequences.length >= 1 && json.data.ncr_sequences.every((s) => s.year && s.last >= 1), JSON.stringify(json.data.ncr_sequences));
  const csv = await (await fetch(`${BASE}/functions/v1/api-export?format=csv&entity=jobs`, { headers })).text();
  assert.ok(csv.includes(`"'=HYPERLINK(""http://evil.example"",""x"")"`), 'a formula is exported as text');
  assert.ok(!csv.includes(',=HYPERLINK'), 'never as a formula');
});

test('a given NCR number no counter could continue from does not break numbering', async () => {
  const at = '2031-06-01T10:00:00.000Z';
  const op = (await createJob()).parts[0].operations[0].operation_id;
  const huge = await api('POST', 'api-issues', { at, body: { operation_id: op, title: 'Imported', issue_type: 'ncr', ncr_number: 'NCR-2031-9223372036854775807' } });
  assert.equal(huge.status, 201, JSON.stringify(huge.body));
  const next = await api('POST', 'api-issues', { at, body: { operation_id: op, title: 'Next', issue_type: 'ncr' } });
  assert.equal(next.status, 201, JSON.stringify(next.body));
  assert.match(next.body.data.issue.ncr_number, /^NCR-2031-\d{4,9}$/);
  const after = await api('POST', 'api-issues', { at, body: { operation_id: op, title: 'After', issue_type: 'ncr' } });
  assert.equal(after.status, 201);
  assert.notEqual(after.body.data.issue.ncr_number, next.body.data.issue.ncr_number);
});
