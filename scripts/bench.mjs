// `npm run bench`: starts the local stack on a fresh database, seeds it, measures, prints a
// table and writes it to bench/results.md. Measures: webhook delivery throughput to a local
// receiver, and latency / throughput / D1 round trips of core requests at a fixed concurrency.
// Figures are from the local runtime (workerd + local D1 on this machine), for comparison
// between commits, not a forecast of production latency.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../tests/receiver.mjs';
import { build } from './build.mjs';
import { admin, execute, migrate, start } from './cluster.mjs';
import { root } from './lib.mjs';

const CONCURRENCY = 8;
const REQUESTS = 400;
const WEBHOOK_EVENTS = 1000;

const sizes = build();
const persistDir = mkdtempSync(join(tmpdir(), 'eryxon-bench-'));
migrate(persistDir);
const tenant = admin(['tenant', 'create', '--name', 'Bench', '--plan', 'enterprise']);
execute(persistDir, tenant.sql);
const cluster = await start({ port: 0, persistDir, localWebhooks: true });
const receiver = await startReceiver();
const H = { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' };
const call = async (method, path, body) => {
  const t = performance.now();
  const res = await fetch(`${cluster.url}/functions/v1/${path}`, { method, headers: H, body: body && JSON.stringify(body) });
  const json = await res.json();
  const trips = Number(/d1-rt;dur=(\d+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return { ms: performance.now() - t, json, trips };
};
let counter = 0;
const job = (parts = 1, ops = 1) => ({
  job_number: `BENCH-${++counter}-${Date.now()}`,
  parts: Array.from({ length: parts }, (_, p) => ({ part_number: `P${p}`, quantity: 1, operations: Array.from({ length: ops }, (_, o) => ({ operation_name: `Op ${o}`, cell_name: `Cell ${o}` })) })),
});

/** Runs `n` requests made by `make(i)` with `CONCURRENCY` in flight; returns the figures. */
async function load(name, make, n = REQUESTS) {
  const times = [];
  let trips = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      const i = next++;
      const r = await make(i);
      times.push(r.ms);
      trips = Math.max(trips, r.trips);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const pct = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
  return { name, n, rps: n / seconds, p50: pct(50), p99: pct(99), trips };
}

const results = [];
const ids = [];
for (let i = 0; i < 100; i++) ids.push((await call('POST', 'api-jobs', job(2, 2))).json.data.job_id);
results.push(await load('GET one job (with parts, operations)', (i) => call('GET', `api-jobs?id=${ids[i % ids.length]}`)));
results.push(await load('list 100 jobs (with parts)', () => call('GET', 'api-jobs?limit=100')));
results.push(await load('nested create, 20 parts x 5 operations', () => call('POST', 'api-jobs', job(20, 5)), 100));
const user = (await call('POST', 'api-operators', { full_name: 'Bench', employee_id: 'BENCH-1' })).json.data.operator.id;
const single = (await call('POST', 'api-jobs', job(1, REQUESTS))).json.data.parts[0].operations.map((o) => o.operation_id);
results.push(await load('operation start', (i) => call('POST', `api-operation-lifecycle/start?id=${single[i]}&user_id=${user}`)));
results.push(await load('operation complete', (i) => call('POST', `api-operation-lifecycle/complete?id=${single[i]}`)));

// Webhook throughput: one batch start emits one operation.started per operation.
await call('POST', 'api-webhooks', { url: `${receiver.url}/ok/bench`, events: ['operation.started'] });
const big = (await call('POST', 'api-jobs', job(1, WEBHOOK_EVENTS))).json.data.parts[0].operations.map((o) => o.operation_id);
const batch = (await call('POST', 'api-batches', { batch_number: `BENCH-${Date.now()}`, operation_ids: big })).json.data.batch;
const t0 = performance.now();
const started = await call('POST', `api-batch-lifecycle/start?id=${batch.id}&operator_id=${user}`);
while (receiver.at('/ok/bench').length < WEBHOOK_EVENTS) {
  if (performance.now() - t0 > 120_000) throw new Error(`only ${receiver.at('/ok/bench').length} deliveries after 120 s`);
  await new Promise((r) => setTimeout(r, 20));
}
const deliverSeconds = (performance.now() - t0) / 1000;

await receiver.close();
await cluster.stop();
rmSync(persistDir, { recursive: true, force: true });

const f = (n, d = 1) => n.toFixed(d);
const lines = [
  `# Benchmark results`,
  ``,
  `Local runtime (workerd + local D1), ${new Date().toISOString().slice(0, 10)}, ${CONCURRENCY} requests in flight; rerun with \`npm run bench\`.`,
  ``,
  `| request | n | req/s | p50 ms | p99 ms | D1 round trips |`,
  `|---|---:|---:|---:|---:|---:|`,
  ...results.map((r) => `| ${r.name} | ${r.n} | ${f(r.rps)} | ${f(r.p50)} | ${f(r.p99)} | ${r.trips} |`),
  ``,
  `Webhook delivery: ${WEBHOOK_EVENTS} events (one batch start of ${WEBHOOK_EVENTS} operations, ${f(started.ms, 0)} ms, ${started.trips} round trips) delivered, signed, to a local receiver in ${f(deliverSeconds, 2)} s: **${f(WEBHOOK_EVENTS / deliverSeconds, 0)} deliveries/s**.`,
  ``,
  `| worker | wasm raw KiB | wasm gzip KiB |`,
  `|---|---:|---:|`,
  ...sizes.map((s) => `| ${s.worker} | ${f(s.wasm_raw / 1024)} | ${f(s.wasm_gzip / 1024)} |`),
];
const out = lines.join('\n') + '\n';
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.md'), out);
console.log(`\n${out}`);
process.exit(0);
