// api-issues: issues and NCRs, NCR numbering under concurrency, the status machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createJob, createOperator, SEED, unique } from './client.mjs';

const operator = (key = SEED.a) => createOperator(key, 'QA');
const ncrBody = (operation_id, reported_by_id) => ({
  operation_id,
  title: 'Dimensional Out of Tolerance',
  description: 'Part hole diameter measured 0.505", spec is 0.500" ±0.002"',
  severity: 'high',
  issue_type: 'ncr',
  ncr_category: 'process',
  affected_quantity: 5,
  disposition: 'rework',
  root_cause: 'Tool wear - end mill exceeded replacement interval',
  corrective_action: 'Replaced tool, re-machined 5 parts',
  preventive_action: 'Implemented tool life tracking in system',
  verification_required: true,
  reported_by_id,
});

test('the reference NCR example works verbatim and returns the documented shape', async () => {
  const [job, user] = [await createJob(), await operator()];
  const r = await api('POST', 'api-issues', { body: ncrBody(job.parts[0].operations[0].operation_id, user) });
  assert.equal(r.status, 201);
  const i = r.body.data.issue;
  for (const key of ['id', 'ncr_number', 'title', 'severity', 'status', 'issue_type', 'ncr_category', 'disposition', 'created_at']) assert.ok(key in i, key);
  assert.match(i.ncr_number, new RegExp(`^NCR-${new Date().getUTCFullYear()}-\\d{4}$`));
  assert.deepEqual(
    [i.title, i.severity, i.status, i.issue_type, i.ncr_category, i.disposition, i.affected_quantity, i.verification_required, i.reported_by_id],
    ['Dimensional Out of Tolerance', 'high', 'open', 'ncr', 'process', 'rework', 5, true, user],
  );
  const listed = await api('GET', 'api-issues?issue_type=ncr&severity=high&status=open');
  assert.ok(listed.body.data.issues.some((x) => x.id === i.id));
});

test('20 concurrent NCR creates get 20 distinct consecutive numbers; another tenant has its own sequence', async () => {
  const jobA = await createJob();
  const jobB = await createJob({}, SEED.b);
  const year = '2027';
  const at = `${year}-06-01T08:00:00.000Z`;
  const make = (key, job) => api('POST', 'api-issues', { key, at, body: { operation_id: job.parts[0].operations[0].operation_id, title: 'Burr', issue_type: 'ncr' } });
  const results = await Promise.all(Array.from({ length: 20 }, () => make(SEED.a, jobA)));
  assert.ok(results.every((r) => r.status === 201));
  const numbers = results.map((r) => r.body.data.issue.ncr_number).sort();
  assert.deepEqual(numbers, Array.from({ length: 20 }, (_, i) => `NCR-${year}-${String(i + 1).padStart(4, '0')}`));
  assert.equal((await make(SEED.b, jobB)).body.data.issue.ncr_number, `NCR-${year}-0001`);
  const gone = results[19].body.data.issue;
  await api('DELETE', `api-issues?id=${gone.id}`);
  assert.equal((await make(SEED.a, jobA)).body.data.issue.ncr_number, `NCR-${year}-0021`, 'a deleted number is never reused');
});

test('a given ncr_number: used is 409; the standard form moves the sequence past it', async () => {
  const job = await createJob();
  const op = job.parts[0].operations[0].operation_id;
  const at = '2028-01-10T08:00:00.000Z';
  const given = await api('POST', 'api-issues', { at, body: { operation_id: op, title: 'x', issue_type: 'ncr', ncr_number: 'NCR-2028-0040' } });
  assert.equal(given.status, 201);
  const dup = await api('POST', 'api-issues', { at, body: { operation_id: op, title: 'y', issue_type: 'ncr', ncr_number: 'NCR-2028-0040' } });
  assert.equal(dup.status, 409);
  const next = await api('POST', 'api-issues', { at, body: { operation_id: op, title: 'z', issue_type: 'ncr' } });
  assert.equal(next.body.data.issue.ncr_number, 'NCR-2028-0041');
  const general = await api('POST', 'api-issues', { at, body: { operation_id: op, title: 'general' } });
  assert.deepEqual([general.body.data.issue.issue_type, general.body.data.issue.ncr_number, general.body.data.issue.severity], ['general', null, 'medium']);
});

test('status machine, resolved/verified stamps, and closing needs verification (409)', async () => {
  const [job, user] = [await createJob(), await operator()];
  const made = (await api('POST', 'api-issues', { body: ncrBody(job.parts[0].operations[0].operation_id, user) })).body.data.issue;
  const patch = (body) => api('PATCH', `api-issues?id=${made.id}`, { body });
  const resolved = await patch({ status: 'resolved', resolution_notes: 'All parts re-machined and inspected. Tool tracking implemented.', resolved_by_id: user });
  assert.equal(resolved.status, 200);
  assert.ok(resolved.body.data.issue.resolved_at);
  assert.equal(resolved.body.data.issue.resolved_by_id, user);
  const early = await patch({ status: 'closed' });
  assert.equal(early.status, 409);
  assert.match(early.body.error.message, /requires verification/);
  assert.equal((await patch({ status: 'open' })).status, 409, 'resolved -> open is not a move');
  const reference = await patch({ status: 'resolved', resolution_notes: 'All parts re-machined and inspected. Tool tracking implemented.', verified_by_id: user });
  assert.equal(reference.status, 200, 'the reference PATCH example');
  assert.ok(reference.body.data.issue.verified_at);
  const closed = await patch({ status: 'closed' });
  assert.equal(closed.status, 200);
  assert.equal((await patch({ status: 'in_progress' })).status, 409, 'closed is final');
  const reopen = (await api('POST', 'api-issues', { body: { operation_id: job.parts[0].operations[0].operation_id, title: 'r', status: 'resolved' } })).body.data.issue;
  assert.ok(reopen.resolved_at);
  const back = await api('PATCH', `api-issues?id=${reopen.id}`, { body: { status: 'in_progress' } });
  assert.deepEqual([back.body.data.issue.resolved_at, back.body.data.issue.resolved_by_id], [null, null]);
});

test('enum violations answer 422 ENUM_CONSTRAINT naming the allowed values', async () => {
  const job = await createJob();
  const r = await api('POST', 'api-issues', {
    body: { operation_id: job.parts[0].operations[0].operation_id, title: 't', severity: 'urgent', status: 'pending', issue_type: 'bug', ncr_category: 'x', ncr_disposition: 'burn' },
  });
  assert.equal(r.status, 422);
  const byField = Object.fromEntries(r.body.error.details.map((d) => [d.field, d]));
  assert.deepEqual(Object.keys(byField).sort(), ['ncr_category', 'ncr_disposition', 'issue_type', 'severity', 'status'].sort());
  assert.ok(Object.values(byField).every((d) => d.constraint === 'ENUM_CONSTRAINT'));
  assert.equal(byField.severity.message, 'Issue severity must be one of: low, medium, high, critical');
  assert.match(byField.ncr_disposition.message, /use_as_is, rework, repair, scrap, return_to_supplier/);
  const missing = await api('POST', 'api-issues', { body: { title: 't' } });
  assert.deepEqual(missing.body.error.details.map((d) => [d.field, d.constraint]), [['operation_id', 'FK_REQUIRED']]);
});

test('filters: type, severity, status, operation, job and a created date range; exact rows', async () => {
  const job = await createJob({ parts: [{ part_number: 'A', quantity: 1, operations: [{ operation_name: 'x' }, { operation_name: 'y' }] }] });
  const [x, y] = job.parts[0].operations.map((o) => o.operation_id);
  const make = async (body, at) => (await api('POST', 'api-issues', { at, body })).body.data.issue.id;
  const a = await make({ operation_id: x, title: 'a', severity: 'low' }, '2029-05-01T10:00:00.000Z');
  const b = await make({ operation_id: x, title: 'b', severity: 'critical', issue_type: 'ncr' }, '2029-05-02T10:00:00.000Z');
  const c = await make({ operation_id: y, title: 'c', severity: 'critical' }, '2029-05-03T10:00:00.000Z');
  const q = async (s) => (await api('GET', `api-issues?job_id=${job.job_id}&${s}`)).body.data.issues.map((i) => i.id);
  assert.deepEqual(await q('sort_by=created_at&sort_order=asc'), [a, b, c]);
  assert.deepEqual(await q('severity=critical&sort_by=created_at&sort_order=asc'), [b, c]);
  assert.deepEqual(await q('issue_type=ncr'), [b]);
  assert.deepEqual(await q(`operation_id=${y}`), [c]);
  assert.deepEqual(await q('created_from=2029-05-02&created_to=2029-05-03'), [b]);
  assert.deepEqual(await q('limit=1&offset=1'), [b], 'newest first by default');
});

test("issues of another tenant are 404, and its operations and users are FK_CONSTRAINT", async () => {
  const job = await createJob();
  const op = job.parts[0].operations[0].operation_id;
  const issue = (await api('POST', 'api-issues', { body: { operation_id: op, title: 'mine' } })).body.data.issue;
  const asB = { key: SEED.b };
  assert.equal((await api('GET', `api-issues?id=${issue.id}`, asB)).status, 404);
  assert.equal((await api('PATCH', `api-issues?id=${issue.id}`, { ...asB, body: { status: 'closed' } })).status, 404);
  assert.equal((await api('DELETE', `api-issues?id=${issue.id}`, asB)).status, 404);
  const foreignOp = await api('POST', 'api-issues', { ...asB, body: { operation_id: op, title: 'x' } });
  assert.deepEqual(foreignOp.body.error.details.map((d) => [d.field, d.constraint]), [['operation_id', 'FK_CONSTRAINT']]);
  const jobB = await createJob({}, SEED.b);
  const foreignUser = await api('POST', 'api-issues', { ...asB, body: { operation_id: jobB.parts[0].operations[0].operation_id, title: 'x', reported_by_id: await operator() } });
  assert.deepEqual(foreignUser.body.error.details.map((d) => [d.field, d.constraint]), [['reported_by_id', 'FK_CONSTRAINT']]);
  assert.equal((await api('GET', `api-issues?id=${issue.id}`)).body.data.issue.title, 'mine');
});
