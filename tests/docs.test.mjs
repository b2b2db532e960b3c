// The docs page, as a browser shows it: headless Chromium loads /docs/ from the local stack
// (Swagger UI from our own origin, no CDN) and every documented operation is on the page.
// A screenshot is left in test-artifacts/docs.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BASE } from './client.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const doc = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'));

function chromium(args) {
  const profile = mkdtempSync(join(tmpdir(), 'eryxon-chromium-'));
  try {
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=20000'];
    const r = spawnSync(CHROMIUM, [...flags, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

test('the docs page renders every documented operation in headless Chromium', () => {
  const dom = chromium(['--dump-dom', `${BASE}/docs/`]);
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => [method, path]));
  const shown = [...dom.matchAll(/opblock-summary-method">(\w+)<[\s\S]*?data-path="([^"]+)"/g)].map((m) => `${m[1].toLowerCase()} ${m[2]}`);
  for (const [method, path] of operations) assert.ok(shown.includes(`${method} ${path}`), `${method.toUpperCase()} ${path} is not on the page`);
  // The document's webhooks (one per event type) are rendered as operations too.
  for (const event of Object.keys(doc.webhooks)) assert.ok(shown.includes(`post ${event}`), `webhook ${event} is not on the page`);
  assert.equal(shown.length, operations.length + Object.keys(doc.webhooks).length);
  assert.match(dom, /ERP integration guide/);
  mkdirSync(new URL('../test-artifacts/', import.meta.url), { recursive: true });
  const shot = new URL('../test-artifacts/docs.png', import.meta.url).pathname;
  chromium([`--screenshot=${shot}`, '--window-size=1280,2400', `${BASE}/docs/`]);
  assert.ok(statSync(shot).size > 10_000, 'a screenshot of the page');
});

test('the guide and the renderer are served from our own origin', async () => {
  const page = await (await fetch(`${BASE}/docs/`)).text();
  assert.ok(!/https?:\/\/(?!127\.0\.0\.1)/.test(page.replace(/<header>[\s\S]*?<\/header>/, '')), 'no third-party origin in the page');
  const guide = await fetch(`${BASE}/docs/erp-integration.md`);
  assert.equal(guide.status, 200);
  assert.match(await guide.text(), /Idempotency-Key/);
});
