// Webhooks end to end: a real receiver gets every event type, verified with the reference's
// own algorithm and the Standard Webhooks one; retries, dead letters, redelivery, 410,
// rotation, secrets, URL rules, and the sweep that delivers what a lost message left behind.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import { api, createJob, createOperator, job, minute, SEED, SELF_HOSTED, settled, storedInClear, unique } from './client.mjs';
import { eventually, startReceiver } from './receiver.mjs';

const ALL = [
  'job.created', 'job.started', 'job.stopped', 'job.resumed', 'job.completed', 'job.updated', 'part.created', 'part.updated',
  'part.started', 'part.completed', 'operation.started', 'operation.paused', 'operation.resumed', 'operation.completed',
  'batch.started', 'batch.completed', 'issue.created', 'ncr.created', 'ncr.verified', 'step.added', 'step.completed',
];

// The reference's Node.js verifier, unchanged.
function verifyWebhook(payload, signature, secret) {
  const hmac = crypto.createHmac('sha256', secret);
  const digest = hmac.update(payload).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(digest));
}

// Standard Webhooks: v1 = base64 HMAC-SHA256 of "id.timestamp.body", keyed with the whsec_ secret's bytes.
function verifyStandard(headers, body, secret) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = crypto.createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64');
  return headers['webhook-signature'].split(' ').some((s) => s === `v1,${expected}`);
}

let receiver;
before(async () => (receiver = await startReceiver()));
after(async () => receiver.close());

const hook = async (path, events, key = SEED.a, at = undefined) => {
  const r = await api('POST', 'api-webhooks', { key, at, body: { url: `${receiver.url}${path}`, events, active: true } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.data.webhook;
};
/** The webhook's first delivery once it has failed. */
const failedDelivery = (webhookId, seconds) => eventually(async () => {
  const d = (await api('GET', `api-webhooks/deliveries?webhook_id=${webhookId}`)).body.data.deliveries[0];
  return d?.status === 'failed' ? d : null;
}, seconds, 'a failed delivery');
const operator = () => createOperator(SEED.a, 'Hook Op');

test('every event type reaches a real receiver, verified with the reference and Standard Webhooks algorithms', async () => {
  const path = `/ok/${unique('all')}`;
  // Registered before the back-dated lifecycle below: a webhook receives what happens after it is.
  const wh = await hook(path, ALL, SEED.a, minute(-1));
  assert.match(wh.secret, /^whsec_/);
  const user = await operator();
  const job = await createJob({ parts: [{ part_number: 'P', quantity: 1, operations: [{ operation_name: 'A' }, { operation_name: 'B' }] }] });
  const [a, b] = job.parts[0].operations.map((o) => o.operation_id);
  await api('PATCH', `api-jobs?id=${job.job_id}`, { body: { notes: 'updated' } });
  const part = (await api('POST', 'api-parts', { body: { job_id: job.job_id, part_number: 'EXTRA', quantity: 1 } })).body.data.part;
  await api('PATCH', `api-parts?id=${part.id}`, { body: { notes: 'updated' } });
  const op = (action, id, at, u) => api('POST', `api-operation-lifecycle/${action}?id=${id}${u ? `&user_id=${u}` : ''}`, { at });
  await op('start', a, minute(0), user);
  await op('pause', a, minute(10));
  await op('resume', a, minute(20), user);
  await op('complete', a, minute(30));
  await op('start', b, minute(31), user);
  await op('complete', b, minute(40));
  for (const [action, at] of [['stop', minute(41)], ['resume', minute(42)], ['complete', minute(60)]]) {
    assert.equal((await api('POST', `api-job-lifecycle/${action}?id=${job.job_id}`, { at })).status, 200);
  }
  const other = await createJob();
  const batch = (await api('POST', 'api-batches', { body: { batch_number: unique('NEST'), operation_ids: [other.parts[0].operations[0].operation_id] } })).body.data.batch;
  await api('POST', `api-batch-lifecycle/start?id=${batch.id}&operator_id=${user}`, { at: minute(0) });
  await api('POST', `api-batch-lifecycle/stop?id=${batch.id}`, { at: minute(5) });
  await api('POST', 'api-issues', { body: { operation_id: a, title: 'General' } });
  const ncr = (await api('POST', 'api-issues', { body: { operation_id: a, title: 'NCR', issue_type: 'ncr' } })).body.data.issue;
  await api('PATCH', `api-issues?id=${ncr.id}`, { body: { verified_by_id: user } });
  const step = (await api('POST', 'api-substeps', { body: { operation_id: b, description: 'Check', sequence: 1 } })).body.data.substep;
  await api('PATCH', `api-substeps?id=${step.id}`, { body: { completed: true } });

  const seen = await eventually(() => {
    const types = new Set(receiver.at(path).map((r) => JSON.parse(r.body).event_type));
    return ALL.every((t) => types.has(t)) && types;
  }, 30, 'all 21 event types');
  assert.equal(seen.size, 21);
  for (const r of receiver.at(path)) {
    const payload = JSON.parse(r.body);
    assert.ok(verifyWebhook(r.body, r.headers['x-eryxon-signature'], wh.secret), `reference signature of ${payload.event_type}`);
    assert.ok(verifyStandard(r.headers, r.body, wh.secret), `Standard Webhooks signature of ${payload.event_type}`);
    assert.equal(r.headers['x-eryxon-event'], payload.event_type);
    assert.equal(r.headers['webhook-id'], payload.id);
    assert.deepEqual(Object.keys(payload), ['id', 'event_type', 'timestamp', 'tenant_id', 'api_version', 'data']);
    assert.equal(payload.tenant_id, SEED.tenantA);
  }
  const completed = receiver.at(path).map((r) => JSON.parse(r.body)).find((p) => p.event_type === 'job.completed' && p.data.job_id === job.job_id);
  assert.deepEqual(
    [completed.data.job_number, completed.data.previous_status, completed.data.new_status, completed.data.started_at, completed.data.completed_at, completed.data.actual_duration],
    [job.job_number, 'in_progress', 'completed', minute(0), minute(60), 60],
  );
  const ncrEvent = receiver.at(path).map((r) => JSON.parse(r.body)).find((p) => p.event_type === 'ncr.created' && p.data.issue_id === ncr.id);
  assert.equal(ncrEvent.data.ncr_number, ncr.ncr_number, 'the generated number is in the event');
  await api('DELETE', `api-webhooks?id=${wh.id}`);
});

test('a receiver that fails twice then recovers gets the event with the same id, every attempt logged', async () => {
  const path = `/flaky/${unique('f')}`;
  const wh = await hook(path, ['job.created']);
  const job = await createJob();
  const got = await eventually(() => receiver.at(path).length >= 3 && receiver.at(path), 20, 'three attempts');
  assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 1, 'one webhook-id across retries');
  assert.equal(JSON.parse(got[0].body).data.job_id, job.job_id);
  const delivery = await eventually(async () => {
    const d = (await api('GET', `api-webhooks/deliveries?webhook_id=${wh.id}`)).body.data.deliveries[0];
    return d?.status === 'delivered' && d;
  }, 10, 'delivered');
  assert.equal(delivery.attempts, 3);
  const logs = (await api('GET', `api-webhooks/logs?webhook_id=${wh.id}&sort_order=asc`)).body.data.attempts;
  assert.deepEqual(logs.map((l) => [l.attempt, l.status_code]), [[1, 503], [2, 503], [3, 200]]);
  assert.ok(logs.every((l) => typeof l.duration_ms === 'number'));
  const byEvent = (await api('GET', `api-webhooks/logs?event_id=${delivery.event_id}`)).body.data.attempts;
  assert.equal(byEvent.length, 3);
  await api('DELETE', `api-webhooks?id=${wh.id}`);
});

test('a receiver that never recovers ends in a failed delivery, which can be redelivered', async () => {
  const path = `/down/${unique('d')}`;
  const wh = await hook(path, ['job.created']);
  await createJob();
  const failed = await failedDelivery(wh.id, 25);
  assert.equal(failed.attempts, 4, 'the first attempt and three retries of the test schedule');
  assert.equal(receiver.at(path).length, 4);
  assert.equal((await api('POST', `api-webhooks/redeliver?id=${failed.id}`)).status, 200);
  assert.equal((await api('POST', `api-webhooks/redeliver?id=${failed.id}`)).status, 409, 'already pending');
  receiver.recover();
  const done = await eventually(async () => {
    const d = (await api('GET', `api-webhooks/deliveries?id=x&webhook_id=${wh.id}`)).body.data.deliveries[0];
    return d?.status === 'delivered' && d;
  }, 15, 'redelivered');
  assert.equal(done.id, failed.id);
  assert.equal(new Set(receiver.at(path).map((r) => r.headers['webhook-id'])).size, 1);
  await api('DELETE', `api-webhooks?id=${wh.id}`);
});

test('a 410 disables the webhook', async () => {
  const path = `/gone/${unique('g')}`;
  const wh = await hook(path, ['job.created']);
  await createJob();
  const off = await eventually(async () => {
    const w = (await api('GET', `api-webhooks?id=${wh.id}`)).body.data.webhook;
    return w.active === false && w;
  }, 15, 'disabled');
  assert.match(off.disabled_reason, /410/);
  const on = await api('PATCH', `api-webhooks?id=${wh.id}`, { body: { active: true } });
  assert.deepEqual([on.body.data.webhook.active, on.body.data.webhook.disabled_reason], [true, null]);
  await api('DELETE', `api-webhooks?id=${wh.id}`);
});

test('secrets never appear in lists, reads or logs; rotation keeps deliveries verifiable with both secrets', async () => {
  const path = `/ok/${unique('rot')}`;
  const wh = await hook(path, ['job.created']);
  const listed = await api('GET', 'api-webhooks?event_type=job.created&active=true');
  const read = await api('GET', `api-webhooks?id=${wh.id}`);
  assert.ok(listed.body.data.webhooks.some((w) => w.id === wh.id));
  for (const text of [JSON.stringify(listed.body), JSON.stringify(read.body)]) {
    assert.ok(!text.includes(wh.secret) && !text.includes('"secret"'), 'no secret');
  }
  const rotated = await api('POST', `api-webhooks/rotate-secret?id=${wh.id}`, { body: { grace_period_hours: 1 } });
  const fresh = rotated.body.data.webhook.secret;
  assert.ok(fresh && fresh !== wh.secret);
  assert.ok(rotated.body.data.webhook.previous_secret_expires_at);
  const sent = await api('POST', `api-webhooks/test?id=${wh.id}`);
  assert.equal(sent.status, 201);
  const r = await eventually(() => receiver.at(path).find((x) => x.headers['webhook-id'] === sent.body.data.event_id), 15, 'test event');
  assert.equal(JSON.parse(r.body).event_type, 'webhook.test');
  assert.ok(verifyWebhook(r.body, r.headers['x-eryxon-signature'], fresh), 'new secret');
  assert.ok(verifyWebhook(r.body, r.headers['x-eryxon-signature-previous'], wh.secret), 'old secret during the grace period');
  assert.ok(verifyStandard(r.headers, r.body, fresh) && verifyStandard(r.headers, r.body, wh.secret), 'both in webhook-signature');
  const logs = await api('GET', `api-webhooks/logs?webhook_id=${wh.id}`);
  assert.ok(!JSON.stringify(logs.body).includes(fresh) && !JSON.stringify(logs.body).includes(wh.secret));
  await api('DELETE', `api-webhooks?id=${wh.id}`);
});

test('production URL rules: http and private addresses are 422; events must be known', async () => {
  const self = { key: SEED.a, base: SELF_HOSTED };
  for (const url of ['http://erp.example.com/hook', 'https://127.0.0.1/hook', 'https://10.0.0.5/hook', 'https://169.254.169.254/', 'https://[::1]/', 'http://127.0.0.1:9/x']) {
    const r = await api('POST', 'api-webhooks', { ...self, body: { url, events: ['job.created'] } });
    assert.equal(r.status, 422, url);
    assert.equal(r.body.error.details[0].field, 'url');
  }
  // The forms the runtime's WHATWG parser turns into private addresses, refused on create and PATCH.
  const spelled = [
    'https://10.1/', 'https://167772161/', 'https://0x7f.1/', 'https://0177.0.0.1/', 'https://0x0a.0.0.1/', 'https://127.0.0.1./',
    'https://10%2e0%2e0%2e1/', 'https://%31%30.0.0.1/', 'https://\uff11\uff10.\uff10.\uff10.\uff11/', 'https:\\\\10.0.0.1\\hook', 'https:127.0.0.1/',
    'https://[::ffff:10.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[64:ff9b::a00:1]/', 'https://[fec0::1]/', 'https://[2002:a00:1::]/',
    'https://100.64.0.1/', 'https://198.18.0.1/', 'https://localhost./', 'https://db.internal/',
  ];
  const existing = (await api('POST', 'api-webhooks', { ...self, body: { url: 'https://erp.example.com/ok', events: ['job.created'] } })).body.data.webhook;
  for (const url of spelled) {
    const created = await api('POST', 'api-webhooks', { ...self, body: { url, events: ['job.created'] } });
    assert.equal(created.status, 422, `create ${url}`);
    assert.equal(created.body.error.details[0].field, 'url', url);
    const patched = await api('PATCH', `api-webhooks?id=${existing.id}`, { ...self, body: { url } });
    assert.equal(patched.status, 422, `PATCH ${url}`);
  }
  assert.equal((await api('GET', `api-webhooks?id=${existing.id}`, self)).body.data.webhook.url, 'https://erp.example.com/ok', 'no PATCH got through');
  await api('DELETE', `api-webhooks?id=${existing.id}`, self);
  const ok = await api('POST', 'api-webhooks', { ...self, body: { url: 'https://your-erp.com/webhooks/eryxon', events: ['job.created', 'job.completed', 'ncr.created'], active: true } });
  assert.equal(ok.status, 201, 'the reference example');
  const bad = await api('POST', 'api-webhooks', { ...self, body: { url: 'https://erp.example.com', events: ['job.deleted'] } });
  assert.equal(bad.body.error.details[0].constraint, 'ENUM_CONSTRAINT');
  const patched = await api('PATCH', `api-webhooks?id=${ok.body.data.webhook.id}`, { ...self, body: { active: false } });
  assert.equal(patched.body.data.webhook.active, false, 'the reference PATCH example');
  assert.equal((await api('GET', `api-webhooks?id=${ok.body.data.webhook.id}`, { key: SEED.b, base: SELF_HOSTED })).status, 404, 'another tenant');
});

test('a redirect is never followed: it is a failed attempt, logged as such', async () => {
  const path = `/redirect/${unique('r')}`;
  const wh = await hook(path, ['job.created']);
  await createJob();
  const failed = await failedDelivery(wh.id, 20);
  assert.equal(failed.last_status_code, 302);
  assert.match(failed.last_error, /redirect/);
  assert.equal(receiver.at(`/ok${path}`).length, 0, 'the Location was never requested');
  assert.equal(receiver.at(path).length, 1, 'one attempt, not retried');
  await api('DELETE', `api-webhooks?id=${wh.id}`);
});

test('a webhook receives only the events that happen after it is registered, however far behind the queue is', async () => {
  const path = `/ok/${unique('after')}`;
  const earlier = await api('POST', 'api-jobs', { at: new Date(Date.now() - 5 * 60_000).toISOString(), headers: { 'x-eryxon-test-skip-queue': '1' }, body: job() });
  assert.equal(earlier.status, 201);
  const wh = await hook(path, ['job.created']);
  const later = await createJob();
  const got = await eventually(() => receiver.at(path).find((r) => JSON.parse(r.body).data.job_id === later.job_id), 20, 'the later event');
  assert.ok(got);
  await new Promise((r) => setTimeout(r, 1500));
  const ids = receiver.at(path).map((r) => JSON.parse(r.body).data.job_id);
  assert.ok(!ids.includes(earlier.body.data.job_id), 'the event from before the webhook existed is not delivered to it');
  await api('DELETE', `api-webhooks?id=${wh.id}`);
});

test('signing secrets are sealed at rest: never in the database in clear, idempotent answers included', async () => {
  const path = `/ok/${unique('sealed')}`;
  const given = `whsec_${crypto.randomBytes(24).toString('base64')}`;
  const options = { headers: { 'idempotency-key': unique('wh') }, body: { url: `${receiver.url}${path}`, events: ['job.created'], secret: given } };
  const made = await api('POST', 'api-webhooks', options);
  assert.equal(made.status, 201);
  const replayed = await settled('POST', 'api-webhooks', options);
  assert.deepEqual([replayed.status, replayed.body.data.webhook.secret], [201, given], 'the replay shows the secret again');
  const rotated = (await api('POST', `api-webhooks/rotate-secret?id=${made.body.data.webhook.id}`, { body: { grace_period_hours: 1 } })).body.data.webhook.secret;
  await createJob();
  const r = await eventually(() => receiver.at(path)[0], 20, 'a delivery signed with the sealed secrets');
  assert.ok(verifyWebhook(r.body, r.headers['x-eryxon-signature'], rotated), 'signed with the new secret');
  assert.ok(verifyWebhook(r.body, r.headers['x-eryxon-signature-previous'], given), 'and the previous one, both opened from their sealed form');
  for (const secret of [given, rotated]) assert.equal(storedInClear(secret), false, 'no secret in clear in D1');
  assert.equal(storedInClear(made.body.data.webhook.id), true, 'the check finds what is stored in clear (the id)');
  await api('DELETE', `api-webhooks?id=${made.body.data.webhook.id}`);
});

test('nothing is lost: an event whose queue message never went out is delivered by the sweep', async () => {
  const path = `/ok/${unique('sweep')}`;
  const wh = await hook(path, ['job.created'], SEED.b);
  const sent = await api('POST', `api-webhooks/test?id=${wh.id}`, { key: SEED.b, at: new Date(Date.now() - 10 * 60_000).toISOString(), headers: { 'x-eryxon-test-skip-queue': '1' } });
  assert.equal(sent.status, 201);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(receiver.at(path).length, 0, 'no message, no delivery yet');
  const swept = await api('POST', 'webhook-dispatch/sweep', { key: null });
  assert.ok(swept.body.data.tenants >= 1);
  const r = await eventually(() => receiver.at(path).find((x) => x.headers['webhook-id'] === sent.body.data.event_id), 15, 'swept delivery');
  assert.ok(verifyWebhook(r.body, r.headers['x-eryxon-signature'], wh.secret));
  await api('DELETE', `api-webhooks?id=${wh.id}`, { key: SEED.b });
});
