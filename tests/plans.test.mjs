// Daily request limits, quotas, usage, and the self-hosted switch. Each test works on its own
// day of the test clock, so counts start from zero.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, job, SEED, SELF_HOSTED } from './client.mjs';

const noon = (day) => `2026-02-${String(day).padStart(2, '0')}T12:00:00.000Z`;
const get = (key, at, extra = {}) => api('GET', 'api-jobs?limit=1', { key, at, ...extra });

test('free plan: request 100 succeeds, 101 is 429 with Retry-After and the rate-limit headers', async () => {
  const at = noon(1);
  let last;
  for (let i = 1; i <= 100; i++) {
    last = await get(SEED.free, at);
    assert.equal(last.status, 200, `request ${i}`);
  }
  const h = last.headers;
  assert.deepEqual(
    [h.get('x-ratelimit-limit'), h.get('x-ratelimit-remaining'), h.get('ratelimit-policy'), h.get('ratelimit')],
    ['100', '0', '"daily";q=100;w=86400', '"daily";r=0;t=43200'],
  );
  assert.equal(h.get('x-ratelimit-reset'), String(Date.UTC(2026, 1, 2) / 1000));
  const over = await get(SEED.free, at);
  assert.equal(over.status, 429);
  assert.equal(over.body.error.code, 'RATE_LIMIT_EXCEEDED');
  assert.equal(over.headers.get('retry-after'), '43200');
  assert.equal(over.headers.get('x-ratelimit-remaining'), '0');
  assert.equal((await api('POST', 'api-jobs', { key: SEED.free, at, body: job() })).status, 429, 'writes are refused too');
  const nextDay = await get(SEED.free, noon(2));
  assert.deepEqual([nextDay.status, nextDay.headers.get('x-ratelimit-remaining')], [200, '99'], 'a new UTC day starts afresh');
});

test('50 parallel requests at the edge of the limit admit exactly the remainder', async () => {
  const at = noon(3);
  for (let i = 0; i < 75; i++) await get(SEED.free, at);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => get(i % 2 ? SEED.free : SEED.freeSecond, at)));
  assert.equal(results.filter((r) => r.status === 200).length, 25, 'both keys count against the one tenant');
  assert.equal(results.filter((r) => r.status === 429).length, 25);
});

test('failed authentications never count against the tenant', async () => {
  const at = noon(4);
  const forged = `${SEED.free.slice(0, -4)}0000`;
  for (let i = 0; i < 30; i++) {
    assert.equal((await get(null, at, { authorization: `Bearer ${forged}` })).status, 401);
    assert.equal((await get(SEED.revoked, at)).status, 401);
  }
  const r = await get(SEED.free, at);
  assert.equal(r.headers.get('x-ratelimit-remaining'), '99');
});

test('job quota: job 51 of 50 is 402 with the reference message and writes nothing; parallel creates never overshoot', async () => {
  const at = noon(5);
  const make = () => api('POST', 'api-jobs', { key: SEED.free, at, body: job() });
  for (let i = 0; i < 45; i++) assert.equal((await make()).status, 201);
  const racing = await Promise.all(Array.from({ length: 10 }, make));
  assert.deepEqual(racing.map((r) => r.status).sort(), [201, 201, 201, 201, 201, 402, 402, 402, 402, 402]);
  const full = await api('POST', 'api-jobs', { key: SEED.free, at, body: job({ job_number: 'ONE-TOO-MANY' }) });
  assert.equal(full.status, 402);
  assert.deepEqual(full.body.error, {
    code: 'QUOTA_EXCEEDED', message: 'Job limit exceeded (50/50)', statusCode: 402, details: { limitType: 'jobs', currentUsage: 50, limit: 50 },
  });
  const list = await api('GET', 'api-jobs?job_number=ONE-TOO-MANY', { key: SEED.free, at });
  assert.equal(list.body.data.pagination.total, 0, 'nothing was written');
  const usage = (await api('GET', 'api-usage', { key: SEED.free, at })).body.data.usage;
  assert.deepEqual([usage.plan, usage.quota.jobs.used, usage.quota.jobs.limit], ['free', 50, 50]);
  const victim = (await api('GET', 'api-jobs?limit=1', { key: SEED.free, at })).body.data.jobs[0];
  await api('DELETE', `api-jobs?id=${victim.id}`, { key: SEED.free, at });
  assert.equal((await make()).status, 201, 'deleting a job frees its place');
});

test('parts quota (a tenant override of 10): nested and single creates stop at the limit', async () => {
  const key = SEED.small;
  const parts = (n, prefix) => Array.from({ length: n }, (_, i) => ({ part_number: `${prefix}${i}`, quantity: 1 }));
  const tooMany = await api('POST', 'api-jobs', { key, body: job({ parts: parts(11, 'P') }) });
  assert.equal(tooMany.status, 402);
  assert.deepEqual(tooMany.body.error.details, { limitType: 'parts', currentUsage: 0, limit: 10 });
  const made = await api('POST', 'api-jobs', { key, body: job({ parts: parts(8, 'P') }) });
  assert.equal(made.status, 201);
  const one = (n) => api('POST', 'api-parts', { key, body: { job_id: made.body.data.job_id, part_number: `X${n}`, quantity: 1 } });
  const racing = await Promise.all([1, 2, 3, 4, 5].map(one));
  assert.deepEqual(racing.map((r) => r.status).sort(), [201, 201, 402, 402, 402]);
  assert.equal(racing.find((r) => r.status === 402).body.error.message, 'Part limit exceeded (10/10)');
  const usage = (await api('GET', 'api-usage', { key })).body.data.usage;
  assert.deepEqual([usage.quota.parts.used, usage.quota.parts.limit], [10, 10]);
});

test('usage: requests per day for the tenant and per key, never a secret', async () => {
  const at = noon(6);
  for (let i = 0; i < 3; i++) await get(SEED.free, at);
  await get(SEED.freeSecond, at);
  const r = await api('GET', 'api-usage?from=2026-02-06&to=2026-02-06', { key: SEED.free, at });
  assert.equal(r.status, 200);
  const u = r.body.data.usage;
  assert.deepEqual(u.days, [{ day: '2026-02-06', requests: 5 }]);
  assert.deepEqual(u.keys.map((k) => k.days[0].requests).sort(), [1, 4]);
  assert.ok(u.keys.every((k) => k.key_prefix.startsWith('ery_live_') && k.key_prefix.length === 17));
  assert.deepEqual([u.today.requests, u.today.limit, u.today.remaining], [5, 100, 95]);
  const text = JSON.stringify(r.body);
  assert.ok(!text.includes(SEED.free) && !text.includes(SEED.freeSecond), 'no key in the answer');
  assert.equal((await api('GET', 'api-usage?from=2026-02-07&to=2026-02-01', { key: SEED.free, at })).status, 400);
});

test('a self-hosted deployment has no rate limit and no quota', async () => {
  const at = noon(7);
  const self = { key: SEED.free, at, base: SELF_HOSTED };
  for (let i = 0; i < 120; i++) {
    const r = await api('GET', 'api-jobs?limit=1', self);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-ratelimit-limit'), null, 'no limit to state');
  }
  for (let i = 0; i < 55; i++) assert.equal((await api('POST', 'api-jobs', { ...self, body: job() })).status, 201);
  const usage = (await api('GET', 'api-usage', self)).body.data.usage;
  assert.deepEqual([usage.quota.jobs.used, usage.quota.jobs.limit, usage.today], [55, null, null]);
});
