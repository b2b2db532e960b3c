// What an ERP integration leans on: idempotent retries, incremental sync with updated_since
// and the deletion feed, and conditional requests (ETag, If-None-Match, If-Match).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BASE, SEED, SELF_HOSTED, api, createJob, job, settled, unique } from './client.mjs';
import { eventually, startReceiver } from './receiver.mjs';

const keyed = (key, extra = {}) => ({ ...extra, headers: { 'idempotency-key': key, ...(extra.headers ?? {}) } });


const jobsNumbered = async (number) => (await api('GET', `api-jobs?job_number=${number}`)).body.data.pagination.total;

describe('Idempotency-Key', () => {
  let receiver;
  before(async () => (receiver = await startReceiver()));
  after(async () => receiver.close());

  test('a POST retried after a client timeout creates one job and fires one webhook', async () => {
    const path = `/ok/${unique('idem')}`;
    const wh = await api('POST', 'api-webhooks', { body: { url: `${receiver.url}${path}`, events: ['job.created'] } });
    assert.equal(wh.status, 201);
    const body = job();
    const key = randomUUID();
    // The client gives up before the answer arrives; the server goes on.
    const controller = new AbortController();
    const first = fetch(`${BASE}/functions/v1/api-jobs`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${SEED.a}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    }).catch((e) => e);
    controller.abort();
    await first;
    const retry = await settled('POST', 'api-jobs', keyed(key, { body }));
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    const again = await settled('POST', 'api-jobs', keyed(key, { body }));
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, retry.body);
    assert.equal(await jobsNumbered(body.job_number), 1);
    await eventually(() => receiver.at(path).length >= 1, 20, 'the job.created delivery');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const created = receiver.at(path).filter((r) => r.body.includes(body.job_number));
    assert.equal(created.length, 1, 'one job.created for one job');
    await api('DELETE', `api-webhooks?id=${wh.body.data.webhook.id}`);
  });

  test('concurrent requests with one key do the work once', async () => {
    const body = job();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => api('POST', 'api-jobs', keyed(key, { body }))));
    assert.ok(answers.every((r) => r.status === 201 || r.status === 409), answers.map((r) => r.status).join());
    assert.ok(answers.some((r) => r.status === 201));
    assert.equal(await jobsNumbered(body.job_number), 1);
    const final = await settled('POST', 'api-jobs', keyed(key, { body }));
    assert.equal(final.status, 201);
  });

  test('the same key with another body is 422; a bad key is 400; a refused request does not hold its key', async () => {
    const key = randomUUID();
    const body = job();
    assert.equal((await api('POST', 'api-jobs', keyed(key, { body }))).status, 201);
    const other = await settled('POST', 'api-jobs', keyed(key, { body: job() }));
    assert.equal(other.status, 422);
    assert.match(other.body.error.message, /different request/);
    assert.equal((await api('POST', 'api-jobs', keyed('x'.repeat(300), { body: job() }))).status, 400);

    const fresh = randomUUID();
    const invalid = await api('POST', 'api-jobs', keyed(fresh, { body: { job_number: '' } }));
    assert.equal(invalid.status, 422);
    const valid = job();
    assert.equal((await api('POST', 'api-jobs', keyed(fresh, { body: valid }))).status, 201, 'validation failures are not stored');
  });

  test('a lifecycle action retried is answered again, not refused as a state violation', async () => {
    const j = await createJob();
    const key = randomUUID();
    const first = await api('POST', `api-job-lifecycle/start?id=${j.job_id}`, keyed(key));
    assert.equal(first.status, 200);
    const retry = await settled('POST', `api-job-lifecycle/start?id=${j.job_id}`, keyed(key));
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(retry.body, first.body);
    const unkeyed = await api('POST', `api-job-lifecycle/start?id=${j.job_id}`);
    assert.equal(unkeyed.status, 409, 'without the key it is a second start');
  });

  test('keys are per tenant', async () => {
    const key = randomUUID();
    const body = job();
    assert.equal((await api('POST', 'api-jobs', keyed(key, { body }))).status, 201);
    const b = await api('POST', 'api-jobs', keyed(key, { key: SEED.b, body }));
    assert.equal(b.status, 201);
    assert.equal(b.headers.get('idempotent-replayed'), null);
  });
});

describe('incremental sync', () => {
  // The self-hosted stack: its tenant A holds little else, so the mirror stays small.
  const base = SELF_HOSTED;
  const call = (method, path, opts = {}) => api(method, path, { base, ...opts });

  async function all(path) {
    const rows = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=1000&offset=${offset}`)).body.data;
      const list = Object.values(page).find(Array.isArray);
      rows.push(...list);
      if (list.length < 1000) return rows;
    }
  }

  /** An ERP's mirror, kept with nothing but updated_since and the deletion feed. */
  function mirror(path, entity) {
    const rows = new Map();
    let since = '1970-01-01T00:00:00.000Z';
    let deletedSince = since;
    return {
      rows,
      async pull() {
        for (const row of await all(`${path}?updated_since=${encodeURIComponent(since)}`)) {
          rows.set(row.id, row);
          if (row.updated_at > since) since = row.updated_at;
        }
        for (const d of await all(`api-deletions?entity=${entity}&since=${encodeURIComponent(deletedSince)}`)) {
          rows.delete(d.id);
          if (d.deleted_at > deletedSince) deletedSince = d.deleted_at;
        }
      },
    };
  }

  const own = ({ parts, ...rest }) => rest;

  test('a mirror kept by updated_since and the deletion feed equals the server after random changes', async () => {
    const jobs = mirror('api-jobs', 'job');
    const cells = mirror('api-cells', 'cell');
    await jobs.pull();
    await cells.pull();
    let seed = 42;
    const random = (n) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const live = { jobs: [...jobs.rows.keys()], cells: [...cells.rows.keys()] };
    for (let step = 0; step < 40; step += 1) {
      const choice = random(6);
      if (choice === 0 || live.jobs.length === 0) {
        const r = await call('POST', 'api-jobs', { body: job() });
        live.jobs.push(r.body.data.job_id);
      } else if (choice === 1) {
        const id = live.jobs[random(live.jobs.length)];
        assert.equal((await call('PATCH', `api-jobs?id=${id}`, { body: { notes: `note ${step}` } })).status, 200);
      } else if (choice === 2) {
        const id = live.jobs.splice(random(live.jobs.length), 1)[0];
        assert.equal((await call('DELETE', `api-jobs?id=${id}`)).status, 200);
      } else if (choice === 3 || live.cells.length === 0) {
        const r = await call('POST', 'api-cells', { body: { name: unique('Cell') } });
        live.cells.push(r.body.data.cell.id);
      } else if (choice === 4) {
        const id = live.cells[random(live.cells.length)];
        assert.equal((await call('PATCH', `api-cells?id=${id}`, { body: { description: `d ${step}` } })).status, 200);
      } else {
        const id = live.cells.splice(random(live.cells.length), 1)[0];
        const r = await call('DELETE', `api-cells?id=${id}`);
        if (r.status !== 200) live.cells.push(id); // still in use: stays
      }
      if (step % 10 === 9) {
        await jobs.pull();
        await cells.pull();
      }
    }
    await jobs.pull();
    await cells.pull();
    const serverJobs = new Map((await all('api-jobs')).map((j) => [j.id, own(j)]));
    const mirroredJobs = new Map([...jobs.rows].map(([id, j]) => [id, own(j)]));
    assert.deepEqual(mirroredJobs, serverJobs);
    assert.deepEqual(cells.rows, new Map((await all('api-cells')).map((c) => [c.id, c])));
  });

  test('updated_since is validated, and refused where a list has no updated_at', async () => {
    assert.equal((await call('GET', 'api-jobs?updated_since=yesterday')).status, 400);
    assert.equal((await call('GET', 'api-time-entries?updated_since=2026-01-01')).status, 400);
    assert.equal((await call('GET', 'api-deletions?entity=galaxy')).status, 400);
    const r = await call('GET', 'api-deletions?since=2999-01-01T00:00:00Z');
    assert.deepEqual(r.body.data.deletions, []);
  });

  test('a cascade records every deleted child', async () => {
    const j = await createJob({}, SEED.a);
    const opId = j.parts[0].operations[0].operation_id;
    const since = new Date(Date.now() - 1000).toISOString();
    assert.equal((await api('DELETE', `api-jobs?id=${j.job_id}`)).status, 200);
    const feed = (await api('GET', `api-deletions?since=${since}&limit=1000`)).body.data.deletions;
    const ids = new Set(feed.map((d) => `${d.entity}:${d.id}`));
    assert.ok(ids.has(`job:${j.job_id}`) && ids.has(`part:${j.parts[0].part_id}`) && ids.has(`operation:${opId}`), JSON.stringify(feed));
    const other = (await api('GET', `api-deletions?since=${since}&limit=1000`, { key: SEED.b })).body.data.deletions;
    assert.ok(!other.some((d) => d.id === j.job_id), 'B never sees A\'s deletions');
  });
});

describe('conditional requests', () => {
  test('GET answers an ETag; If-None-Match with it is 304 until the record changes', async () => {
    const j = await createJob();
    const first = await api('GET', `api-jobs?id=${j.job_id}`);
    const tag = first.headers.get('etag');
    assert.match(tag, /^"[0-9a-f]{32}"$/);
    const same = await api('GET', `api-jobs?id=${j.job_id}`, { headers: { 'if-none-match': tag } });
    assert.equal(same.status, 304);
    assert.equal(same.body, null);
    await api('POST', 'api-parts', { body: { job_id: j.job_id, part_number: 'NEW', quantity: 1 } });
    const changed = await api('GET', `api-jobs?id=${j.job_id}`, { headers: { 'if-none-match': tag } });
    assert.equal(changed.status, 200, 'a new nested part changes the job as read');
    assert.notEqual(changed.headers.get('etag'), tag);
    const list = await api('GET', 'api-cells');
    assert.equal((await api('GET', 'api-cells', { headers: { 'if-none-match': list.headers.get('etag') } })).status, 304);
  });

  test('If-Match on PATCH: the current tag changes the record, a stale one is 412 and changes nothing', async () => {
    const j = await createJob();
    const tag = (await api('GET', `api-jobs?id=${j.job_id}`)).headers.get('etag');
    const ok = await api('PATCH', `api-jobs?id=${j.job_id}`, { body: { notes: 'first' }, headers: { 'if-match': tag } });
    assert.equal(ok.status, 200);
    const stale = await api('PATCH', `api-jobs?id=${j.job_id}`, { body: { notes: 'second' }, headers: { 'if-match': tag } });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.code, 'PRECONDITION_FAILED');
    assert.equal((await api('GET', `api-jobs?id=${j.job_id}`)).body.data.job.notes, 'first');

    const cell = (await api('POST', 'api-cells', { body: { name: unique('IfMatch') } })).body.data.cell;
    const cellTag = (await api('GET', `api-cells?id=${cell.id}`)).headers.get('etag');
    await api('PATCH', `api-cells?id=${cell.id}`, { body: { description: 'changed elsewhere' } });
    assert.equal((await api('PATCH', `api-cells?id=${cell.id}`, { body: { description: 'mine' }, headers: { 'if-match': cellTag } })).status, 412);
  });

  test('If-Match under concurrency: of parallel PATCHes holding one tag, exactly one commits', async () => {
    const j = await createJob();
    const cell = (await api('POST', 'api-cells', { body: { name: unique('Race') } })).body.data.cell;
    const webhook = (await api('POST', 'api-webhooks', { body: { url: 'https://erp.example.com/race', events: ['job.created'] } })).body.data.webhook;
    const records = [
      ['api-jobs', j.job_id, 'notes'], ['api-parts', j.parts[0].part_id, 'notes'], ['api-operations', j.parts[0].operations[0].operation_id, 'notes'],
      ['api-cells', cell.id, 'description'], ['api-webhooks', webhook.id, 'description'],
    ];
    for (const [path, id, field] of records) {
      const tag = (await api('GET', `${path}?id=${id}`)).headers.get('etag');
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api('PATCH', `${path}?id=${id}`, { body: { [field]: `writer ${i}` }, headers: { 'if-match': tag } })));
      const statuses = answers.map((r) => r.status);
      assert.equal(statuses.filter((st) => st === 200).length, 1, `${path}: ${statuses}`);
      assert.equal(statuses.filter((st) => st === 412).length, 7, `${path}: ${statuses}`);
      const winner = answers.findIndex((r) => r.status === 200);
      assert.equal(Object.values((await api('GET', `${path}?id=${id}`)).body.data)[0][field], `writer ${winner}`, `${path}: the one that answered 200 is what is stored`);
    }
    await api('DELETE', `api-webhooks?id=${webhook.id}`);
  });

  test('If-Match holds on every PATCH: parts, operations, issues, batches, webhooks; a missing record is 404', async () => {
    const j = await createJob();
    const part = j.parts[0];
    const operation = part.operations[0];
    const issue = (await api('POST', 'api-issues', { body: { operation_id: operation.operation_id, title: 'Burr' } })).body.data.issue;
    const batch = (await api('POST', 'api-batches', { body: { batch_number: unique('B') } })).body.data.batch;
    const webhook = (await api('POST', 'api-webhooks', { body: { url: 'https://erp.example.com/hook', events: ['job.created'] } })).body.data.webhook;
    const records = [
      ['api-parts', part.part_id, { notes: 'a' }, { notes: 'b' }],
      ['api-operations', operation.operation_id, { notes: 'a' }, { notes: 'b' }],
      ['api-issues', issue.id, { resolution_notes: 'a' }, { resolution_notes: 'b' }],
      ['api-batches', batch.id, { notes: 'a' }, { notes: 'b' }],
      ['api-webhooks', webhook.id, { description: 'a' }, { description: 'b' }],
    ];
    for (const [path, id, first, second] of records) {
      const tag = (await api('GET', `${path}?id=${id}`)).headers.get('etag');
      assert.equal((await api('PATCH', `${path}?id=${id}`, { body: first, headers: { 'if-match': tag } })).status, 200, `${path} with the current tag`);
      const stale = await api('PATCH', `${path}?id=${id}`, { body: second, headers: { 'if-match': tag } });
      assert.equal(stale.status, 412, `${path} with a stale tag`);
      const [field, value] = Object.entries(first)[0];
      assert.equal(Object.values((await api('GET', `${path}?id=${id}`)).body.data)[0][field], value, `${path} unchanged by the stale PATCH`);
      assert.equal((await api('PATCH', `${path}?id=${randomUUID()}`, { body: second, headers: { 'if-match': '*' } })).status, 404, `${path}: no record, 404`);
    }
    await api('DELETE', `api-webhooks?id=${webhook.id}`);
  });
});
