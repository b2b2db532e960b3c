// ERP sync by external id: PUT /sync and POST /bulk-sync for jobs (nested), parts,
// operations and cells; unchanged records are not rewritten and emit nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SEED, api, unique } from './client.mjs';
import { eventually, startReceiver } from './receiver.mjs';

const source = () => unique('erp');

function erpJob(ext, src, overrides = {}) {
  return {
    external_id: ext,
    external_source: src,
    job_number: `${src}-${ext}`,
    customer: 'ACME',
    parts: [1, 2].map((p) => ({
      external_id: `${ext}-P${p}`,
      part_number: `P${p}`,
      quantity: p,
      operations: [10, 20].map((s) => ({ external_id: `${ext}-P${p}-O${s}`, operation_name: `Op ${s}`, sequence: s, cell_name: 'ERP Laser' })),
    })),
    ...overrides,
  };
}

describe('PUT /sync', () => {
  test('creates with nested parts and operations, then answers unchanged, then updates what changed', async () => {
    const src = source();
    const created = await api('PUT', 'api-jobs/sync', { body: erpJob('J1', src) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const job = created.body.data.job;
    assert.equal(job.status, 'created');
    assert.equal(job.records.length, 7, 'the job, 2 parts, 4 operations');
    const read = (await api('GET', `api-jobs?id=${job.id}`)).body.data.job;
    assert.deepEqual([read.external_source, read.external_id, read.parts.length, read.parts[0].operations[0].cell_name], [src, 'J1', 2, 'ERP Laser']);

    const again = await api('PUT', 'api-jobs/sync', { body: erpJob('J1', src) });
    assert.equal(again.status, 200);
    assert.equal(again.body.data.job.status, 'unchanged');
    assert.ok(again.body.data.job.records.every((r) => r.status === 'unchanged'));
    assert.equal((await api('GET', `api-jobs?id=${job.id}`)).body.data.job.updated_at, read.updated_at, 'not rewritten');

    const changed = erpJob('J1', src);
    changed.parts[1].quantity = 7;
    const updated = await api('PUT', 'api-jobs/sync', { body: changed });
    assert.equal(updated.body.data.job.status, 'updated');
    assert.deepEqual(updated.body.data.job.records.filter((r) => r.status !== 'unchanged').map((r) => [r.entity, r.external_id]), [['part', 'J1-P2']]);
  });

  test('parts, operations and cells sync by external id, and name their parents by external id', async () => {
    const src = source();
    assert.equal((await api('PUT', 'api-jobs/sync', { body: { external_id: 'J', external_source: src, job_number: `${src}-J`, parts: [] } })).status, 201);
    const part = await api('PUT', 'api-parts/sync', { body: { external_id: 'P', external_source: src, job_external_id: 'J', part_number: 'X', quantity: 3 } });
    assert.equal(part.status, 201, JSON.stringify(part.body));
    const op = await api('PUT', 'api-operations/sync', { body: { external_id: 'O', external_source: src, part_external_id: 'P', operation_name: 'Weld', sequence: 10 } });
    assert.equal(op.status, 201, JSON.stringify(op.body));
    const moved = await api('PUT', 'api-parts/sync', { body: { external_id: 'P', external_source: src, job_external_id: 'NOPE', part_number: 'X', quantity: 3 } });
    assert.equal(moved.status, 422);
    assert.equal(moved.body.error.details[0].constraint, 'FK_CONSTRAINT');

    const fresh = await api('PUT', 'api-cells/sync', { body: { external_id: 'NEW', external_source: src, name: unique('Fresh') } });
    assert.equal(fresh.status, 201, JSON.stringify(fresh.body));
    assert.equal((await api('GET', `api-cells?id=${fresh.body.data.cell.id}`)).body.data.cell.active, true, 'a new cell is active unless told');

    const name = unique('Adopted');
    const plain = (await api('POST', 'api-cells', { body: { name } })).body.data.cell;
    const adopted = await api('PUT', 'api-cells/sync', { body: { external_id: 'C', external_source: src, name: name.toLowerCase() } });
    assert.equal(adopted.status, 200);
    assert.equal(adopted.body.data.cell.id, plain.id, 'a cell of the same name without an external id is adopted');
    assert.equal((await api('GET', `api-cells?id=${plain.id}`)).body.data.cell.external_id, 'C');
  });

  test('bad bodies are 422 and write nothing; the wrong method is 405', async () => {
    const src = source();
    const bad = erpJob('BAD', src);
    bad.parts[0].operations[1].sequence = 0;
    const r = await api('PUT', 'api-jobs/sync', { body: bad });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.details[0].field, 'parts[0].operations[1].sequence');
    assert.equal((await api('GET', `api-jobs?job_number=${src}-BAD`)).body.data.pagination.total, 0);
    assert.equal((await api('POST', 'api-jobs/sync', { body: erpJob('X', src) })).status, 405);
    assert.equal((await api('PUT', 'api-jobs/bulk-sync', { body: { items: [] } })).status, 405);
    assert.equal((await api('POST', 'api-jobs/bulk-sync', { body: { items: [] } })).status, 422);
    assert.equal((await api('PUT', 'api-jobs/sync', { body: { job_number: 'no external id', parts: [] } })).status, 422);
  });
});

describe('POST /bulk-sync', () => {
  let receiver;
  before(async () => (receiver = await startReceiver()));
  after(async () => receiver.close());

  test('1,000 nested jobs land in one request; a resync changes and emits nothing; 10 changes update exactly 10', async () => {
    const src = source();
    const items = Array.from({ length: 1000 }, (_, i) => erpJob(`J${i}`, src));
    const first = await api('POST', 'api-jobs/bulk-sync', { body: { items } });
    assert.equal(first.status, 200, JSON.stringify(first.body).slice(0, 500));
    assert.deepEqual(first.body.data.summary, { created: 1000, updated: 0, unchanged: 0, error: 0 });
    assert.equal((await api('GET', `api-jobs?job_number=${src}-&limit=1`)).body.data.pagination.total, 1000);

    const path = `/ok/${unique('sync')}`;
    const wh = await api('POST', 'api-webhooks', { body: { url: `${receiver.url}${path}`, events: ['job.updated', 'part.updated'] } });
    assert.equal(wh.status, 201);
    const again = await api('POST', 'api-jobs/bulk-sync', { body: { items } });
    assert.deepEqual(again.body.data.summary, { created: 0, updated: 0, unchanged: 1000, error: 0 });

    for (let i = 0; i < 10; i += 1) items[i * 97].customer = 'Changed Corp';
    const third = await api('POST', 'api-jobs/bulk-sync', { body: { items } });
    assert.deepEqual(third.body.data.summary, { created: 0, updated: 10, unchanged: 990, error: 0 });
    assert.deepEqual(third.body.data.results.filter((r) => r.status === 'updated').map((r) => r.external_id), Array.from({ length: 10 }, (_, i) => `J${i * 97}`));
    await eventually(() => receiver.at(path).length >= 10, 30, '10 job.updated deliveries');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const delivered = receiver.at(path).map((r) => JSON.parse(r.body));
    const seen = JSON.stringify(receiver.at(path).map((r) => [r.headers['webhook-id'], JSON.parse(r.body).event_type, JSON.parse(r.body).data.external_id]));
    assert.equal(delivered.length, 10, `the unchanged resync emitted nothing, the change 10 events; received ${seen}`);
    assert.ok(delivered.every((e) => e.event_type === 'job.updated' && e.data.customer === 'Changed Corp'));
    await api('DELETE', `api-webhooks?id=${wh.body.data.webhook.id}`);
  });

  test('answers per item: an invalid item is an error with its details and writes nothing, the others land', async () => {
    const src = source();
    const items = [erpJob('A', src), { ...erpJob('B', src), priority: 500 }, erpJob('C', src), erpJob('A', src)];
    const r = await api('POST', 'api-jobs/bulk-sync', { body: { items } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.results.map((x) => x.status), ['created', 'error', 'created', 'error']);
    assert.equal(r.body.data.results[1].errors[0].field, 'items[1].priority');
    assert.equal(r.body.data.results[3].errors[0].constraint, 'UNIQUE_CONSTRAINT');
    assert.equal((await api('GET', `api-jobs?job_number=${src}-B`)).body.data.pagination.total, 0);
    const parts = await api('POST', 'api-parts/bulk-sync', {
      body: { items: [{ external_id: 'A-P9', external_source: src, job_external_id: 'A', part_number: 'P9', quantity: 1 }, { external_id: 'Z', job_id: '00000000-0000-4000-8000-000000000000', part_number: 'Z', quantity: 1 }] },
    });
    assert.deepEqual(parts.body.data.results.map((x) => x.status), ['created', 'error']);
    const malformed = await api('POST', 'api-parts/bulk-sync', { body: { items: [{ external_id: 'A-P10', external_source: src, job_external_id: 'A', part_number: `${src}-P10`, quantity: 1 }, [null]] } });
    assert.equal(malformed.status, 422, 'an item that is not an object refuses the whole request');
    assert.equal(malformed.body.error.details[0].field, 'items[1]');
    assert.equal((await api('GET', `api-parts?part_number=${src}-P10`)).body.data.pagination.total, 0);
  });

  test('a job number held by another ERP record is a clash; tenants never see each other\'s records', async () => {
    const src = source();
    await api('PUT', 'api-jobs/sync', { body: erpJob('ONE', src) });
    const clash = await api('PUT', 'api-jobs/sync', { body: erpJob('TWO', src, { job_number: `${src}-ONE` }) });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.error.code, 'CONFLICT');
    assert.match(clash.body.error.details[0].message, /already exists with external_id ONE/);
    const b = await api('PUT', 'api-jobs/sync', { key: SEED.b, body: erpJob('ONE', src) });
    assert.equal(b.status, 201, 'the same external id in tenant B is B\'s own record');
  });
});

describe('sync beside other writers', () => {
  test('a sync writes only the fields its item names: a PATCH racing it is never reverted', async () => {
    const src = source();
    const made = await api('PUT', 'api-jobs/sync', { body: { external_id: 'RACE', external_source: src, job_number: `${src}-RACE`, customer: 'c0' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const id = made.body.data.job.id;
    for (let round = 1; round <= 8; round += 1) {
      const [patched, synced] = await Promise.all([
        api('PATCH', `api-jobs?id=${id}`, { body: { notes: `patched ${round}` } }),
        api('PUT', 'api-jobs/sync', { body: { external_id: 'RACE', external_source: src, customer: `c${round}` } }),
      ]);
      assert.equal(patched.status, 200, `round ${round}`);
      assert.ok([200, 409].includes(synced.status), `round ${round}: ${JSON.stringify(synced.body)}`);
      const job = (await api('GET', `api-jobs?id=${id}`)).body.data.job;
      assert.equal(job.notes, `patched ${round}`, `round ${round}: the sync left notes as the PATCH wrote them`);
      if (synced.status === 200) assert.equal(job.customer, `c${round}`, `round ${round}`);
    }
  });

  test('parallel syncs cannot together overshoot the job quota', async () => {
    const key = SEED.syncQuota;
    const usage = async () => (await api('GET', 'api-usage', { key })).body.data.usage.quota.jobs;
    const before = await usage();
    assert.deepEqual(before, { used: 0, limit: 6 });
    const src = source();
    const item = (i) => ({ external_id: `Q${i}`, external_source: src, job_number: `${src}-Q${i}` });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => api('PUT', 'api-jobs/sync', { key, body: item(i) })));
    const statuses = answers.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 6, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 402).length, 4, statuses.join(','));
    assert.deepEqual(await usage(), { used: 6, limit: 6 }, 'exactly full, never over');
  });
});
