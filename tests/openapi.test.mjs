// The OpenAPI document and the API agree: the served document is the committed one, which is
// what openapi/build.mjs builds; every documented operation is routed; every webhook event
// type documented is one a webhook may subscribe to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EVENT_TYPES } from '../openapi/build.mjs';
import { rendered } from '../scripts/openapi.mjs';
import { BASE, SEED, api } from './client.mjs';

const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
const doc = JSON.parse(committed);

test('the served document is the committed one, and the committed one is what the description builds', async () => {
  assert.equal(committed, rendered(), 'run `node scripts/openapi.mjs` after changing openapi/build.mjs');
  const res = await fetch(`${BASE}/functions/v1/openapi.json`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), doc);
  assert.equal(doc.openapi, '3.1.0');
});

test('every documented operation is routed, with the documented credential', async () => {
  const session = (await api('POST', 'api-auth/sign-in', { key: null, body: { email: SEED.adminA, password: SEED.password } })).body.data.access_token;
  let checked = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const scheme = Object.keys(operation.security?.[0] ?? {})[0];
      const authorization = scheme === 'session' ? `Bearer ${session}` : scheme === 'apiKey' ? `Bearer ${SEED.a}` : undefined;
      const res = await fetch(`${BASE}${path}`, { method: method.toUpperCase(), headers: authorization ? { authorization } : {} });
      const text = await res.text();
      assert.ok(res.status < 500, `${method} ${path}: ${res.status}`);
      assert.ok(![404, 405].includes(res.status) || !/No route|not allowed/i.test(text), `${method.toUpperCase()} ${path} is documented but not routed: ${res.status} ${text}`);
      assert.ok(operation.responses.default && Object.keys(operation.responses).some((s) => s.startsWith('2')), `${method} ${path} documents its answers`);
      checked += 1;
    }
  }
  assert.ok(checked >= 60, `${checked} operations`);
});

test('the documented webhook events are exactly those a webhook may subscribe to', async () => {
  assert.deepEqual(Object.keys(doc.webhooks).sort(), [...EVENT_TYPES].sort());
  const ok = await api('POST', 'api-webhooks', { body: { url: 'https://erp.example.com/all', events: EVENT_TYPES } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  await api('DELETE', `api-webhooks?id=${ok.body.data.webhook.id}`);
  assert.equal((await api('POST', 'api-webhooks', { body: { url: 'https://erp.example.com/x', events: ['job.exploded'] } })).status, 422);
});
