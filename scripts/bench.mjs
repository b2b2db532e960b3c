// `npm run bench`: the numbers behind our claims, reproducible with one command. Starts the
// local stack on a fresh database (with the no-op worker as the ceiling), seeds it, measures
// with autocannon, prints a table and writes it to bench/results.md. Figures are from the
// local runtime (workerd + local D1 on this machine): for comparing commits and checking the
// targets, not a forecast of production latency.
import autocannon from 'autocannon';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../tests/receiver.mjs';
import { build } from './build.mjs';
import { admin, execute, migrate, start } from './cluster.mjs';
import { root } from './lib.mjs';

const CONNECTIONS = 8;
const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const BIG = Number(process.env.BENCH_BIG_TENANT ?? 100_000);
const WEBHOOK_EVENTS = 1000;
const f = (n, d = 1) => (n ?? NaN).toFixed(d);

const sizes = build([], { bench: true });
const persistDir = mkdtempSync(join(tmpdir(), 'eryxon-bench-'));
migrate(persistDir);

// Tenants: the one measured, a small one (1,000 jobs), a big one, and 10 others (100 each).
const tenants = {
  main: admin(['tenant', 'create', '--name', 'Bench', '--plan', 'enterprise']),
  small: admin(['tenant', 'create', '--name', 'Bench 1k', '--plan', 'enterprise']),
  big: admin(['tenant', 'create', '--name', 'Bench big', '--plan', 'enterprise', '--admin-email', 'bench@big.example', '--admin-password', 'bench password 1']),
  hooks: admin(['tenant', 'create', '--name', 'Bench webhooks', '--plan', 'enterprise']),
};
const others = Array.from({ length: 10 }, (_, i) => admin(['tenant', 'create', '--name', `Other ${i}`, '--plan', 'enterprise']));
const seedJobs = (t, n, tag) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})
INSERT INTO jobs (id, tenant_id, job_number, customer, status, created_at, updated_at)
SELECT '${tag}-' || i, '${t.tenant_id}', 'J-' || i, 'Customer ' || (i % 50), CASE i % 4 WHEN 0 THEN 'in_progress' ELSE 'not_started' END,
  strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' seconds'), '2026-01-01T00:00:00.000Z' FROM n;`;
execute(persistDir, [
  ...Object.values(tenants).map((t) => t.sql), ...others.map((t) => t.sql),
  seedJobs(tenants.small, 1000, 'small'), seedJobs(tenants.big, BIG, 'big'), ...others.map((t, i) => seedJobs(t, 100, `o${i}`)),
].join('\n'));

const sessionSecret = 'bench session secret, local only, at least 32 bytes';
const secretsKey = '00'.repeat(32); // ERYXON_SECRETS_KEY, local only
const cluster = await start({ port: 0, persistDir, localWebhooks: true, bench: true, sessionSecret, secretsKey });
const receiver = await startReceiver();
const base = `${cluster.url}/functions/v1/`;
const auth = (t) => ({ authorization: `Bearer ${t.api_key}`, 'content-type': 'application/json' });
const H = auth(tenants.main);
const call = async (method, path, body, headers = H) => {
  const t = performance.now();
  const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const json = await res.json();
  const timing = res.headers.get('server-timing') ?? '';
  const metric = (name) => Number(new RegExp(`${name};dur=([\\d.]+)`).exec(timing)?.[1] ?? NaN);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return { ms: performance.now() - t, json, trips: metric('d1-rt'), rows: metric('d1-rows') };
};
let counter = 0;
const job = (parts = 1, ops = 1) => ({
  job_number: `BENCH-${++counter}-${Math.random().toString(36).slice(2)}`,
  parts: Array.from({ length: parts }, (_, p) => ({ part_number: `P${p}`, quantity: 1, operations: Array.from({ length: ops }, (_, o) => ({ operation_name: `Op ${o}`, cell_name: `Cell ${o}` })) })),
});

/** autocannon at CONNECTIONS for DURATION seconds (or `amount` requests); `next` may vary each request. */
function load(name, { path, method = 'GET', headers = H, next, amount }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: base + path, method, headers, connections: CONNECTIONS, ...(amount ? { amount } : { duration: DURATION }),
        requests: next ? [{ setupRequest: (req) => ({ ...req, ...next() }) }] : undefined,
      },
      (err, r) => (err ? reject(err) : resolve({ name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors, n: r.requests.total })),
    );
  });
}

const results = [];
const noop = await load('no-op worker (ceiling)', { path: 'noop' });
results.push(noop);
const ids = [];
for (let i = 0; i < 50; i++) ids.push((await call('POST', 'api-jobs', job(2, 2))).json.data.job_id);
let k = 0;
results.push(await load('GET one job (with parts, operations)', { path: `api-jobs?id=${ids[0]}`, next: () => ({ path: `/functions/v1/api-jobs?id=${ids[k++ % ids.length]}` }) }));
for (let i = 0; i < 60; i++) await call('POST', 'api-jobs', job(1, 1));
results.push(await load('list 100 jobs (with parts)', { path: 'api-jobs?limit=100' }));
results.push(await load('nested create, 20 parts x 5 operations', { path: 'api-jobs', method: 'POST', amount: 200, next: () => ({ body: JSON.stringify(job(20, 5)) }) }));
const user = (await call('POST', 'api-operators', { full_name: 'Bench', employee_id: 'BENCH-1' })).json.data.operator.id;
const ops = (await call('POST', 'api-jobs', job(1, 1000))).json.data.parts[0].operations.map((o) => o.operation_id);
let s = 0;
let c = 0;
results.push(await load('operation start', { path: 'api-operation-lifecycle/start', method: 'POST', amount: 1000, next: () => ({ path: `/functions/v1/api-operation-lifecycle/start?id=${ops[s++]}&user_id=${user}` }) }));
results.push(await load('operation complete', { path: 'api-operation-lifecycle/complete', method: 'POST', amount: 1000, next: () => ({ path: `/functions/v1/api-operation-lifecycle/complete?id=${ops[c++]}` }) }));

// Scaling: one list page at 1,000 and at BIG jobs (10 other tenants present); nested creates.
const latency = async (path, headers, n = 40) => {
  const times = [];
  for (let i = 0; i < n; i++) times.push((await call('GET', path, undefined, headers)).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
};
const scaling = [];
for (const [label, t] of [['1,000 jobs', tenants.small], [`${BIG.toLocaleString('en')} jobs`, tenants.big]]) {
  const page = await latency('api-jobs?limit=100', auth(t));
  const filtered = await latency('api-jobs?limit=100&status=in_progress', auth(t));
  const uncounted = await latency('api-jobs?limit=100&include_count=false', auth(t));
  const rows = (await call('GET', 'api-jobs?limit=100', undefined, auth(t))).rows;
  scaling.push({ label, page, filtered, uncounted, rows });
}
const creates = [];
for (const parts of [1, 10, 100]) {
  const times = [];
  let trips = 0;
  for (let i = 0; i < 10; i++) {
    const r = await call('POST', 'api-jobs', job(parts, 5));
    times.push(r.ms);
    trips = r.trips;
  }
  times.sort((a, b) => a - b);
  creates.push({ parts, p50: times[5], trips });
}

// Bulk paths at their maximum size: a bulk-sync of 1,000 nested jobs (first run creates,
// a rerun changes nothing, then 10 changed), a batch start of 1,000 operations (below, with
// the webhooks), and an export of the big tenant's jobs, streamed.
const syncJob = (i, customer = 'ERP') => ({
  external_id: `J${i}`, job_number: `SYNC-${i}`, customer,
  parts: [1, 2].map((p) => ({ external_id: `J${i}-P${p}`, part_number: `P${p}`, quantity: p,
    operations: [10, 20].map((q) => ({ external_id: `J${i}-P${p}-O${q}`, operation_name: `Op ${q}`, sequence: q, cell_name: 'Sync cell' })) })),
});
const items = Array.from({ length: 1000 }, (_, i) => syncJob(i));
const bulk = [];
for (const [label, body] of [
  ['bulk-sync 1,000 jobs x 2 parts x 2 operations: create', { items }],
  ['the same again: all unchanged', { items }],
  ['10 of them changed', { items: items.map((it, i) => (i % 100 === 0 ? syncJob(i, 'Changed') : it)) }],
]) {
  const r = await call('POST', 'api-jobs/bulk-sync', body);
  bulk.push({ label, ms: r.ms, trips: r.trips, rows: r.rows, summary: JSON.stringify(r.json.data.summary) });
}
const signIn = await call('POST', 'api-auth/sign-in', { email: 'bench@big.example', password: 'bench password 1' }, { 'content-type': 'application/json' });
const t1 = performance.now();
const exported = await fetch(`${base}api-export?entities=jobs`, { headers: { authorization: `Bearer ${signIn.json.data.access_token}` } });
const exportBytes = (await exported.arrayBuffer()).byteLength;
const exportMs = performance.now() - t1;

// Round trips and rows read of every endpoint, from Server-Timing.
const part = (await call('GET', `api-jobs?id=${ids[0]}`)).json.data.job.parts[0];
const opId = part.operations[0].id;
const probes = [
  ['GET', 'api-jobs?limit=100'], ['GET', `api-jobs?id=${ids[0]}`], ['POST', 'api-jobs', job(20, 5)], ['PATCH', `api-jobs?id=${ids[1]}`, { notes: 'x' }],
  ['GET', 'api-parts?limit=100'], ['GET', `api-parts?id=${part.id}`], ['GET', 'api-operations?limit=100'], ['GET', `api-operations?id=${opId}`],
  ['POST', `api-job-lifecycle/start?id=${ids[2]}`], ['POST', `api-operation-lifecycle/start?id=${opId}&user_id=${user}`],
  ['GET', 'api-time-entries?limit=100'], ['GET', 'api-cells'], ['GET', 'api-issues'], ['GET', 'api-batches'], ['GET', 'api-webhooks'], ['GET', 'api-usage'],
  ['DELETE', `api-jobs?id=${ids[3]}`], ['PUT', 'api-jobs/sync', syncJob(5000)], ['POST', 'api-jobs/bulk-sync', { items: items.slice(0, 100) }],
  ['GET', 'api-jobs?limit=100&updated_since=2026-01-01'], ['GET', 'api-deletions'],
];
const perEndpoint = [];
for (const [method, path, body] of probes) {
  const r = await call(method, path, body);
  perEndpoint.push({ request: `${method} ${path.replace(/=[0-9a-f-]{36}/g, '=<id>').split('&user_id')[0]}`, trips: r.trips, rows: r.rows });
}

// Cold start: the first request to each worker after the stack starts, against the next.
await cluster.stop();
const fresh = await start({ port: 0, persistDir, localWebhooks: true, bench: true, sessionSecret, secretsKey });
const cold = [];
for (const fn of ['noop', 'api-jobs', 'api-parts', 'api-operations', 'api-issues', 'api-batches', 'api-webhooks', 'mcp']) {
  const once = async () => {
    const t = performance.now();
    await (await fetch(`${fresh.url}/functions/v1/${fn}`, { method: 'OPTIONS' })).arrayBuffer();
    return performance.now() - t;
  };
  const first = await once();
  const warm = await once();
  cold.push({ fn, first, warm });
}
await fresh.stop();

// Webhook throughput: one batch start of WEBHOOK_EVENTS operations emits one event each.
const again = await start({ port: 0, persistDir, localWebhooks: true, bench: true, secretsKey });
const url2 = `${again.url}/functions/v1/`;
// Its own tenant: no backlog of the phases above is delivered along.
const call2 = async (method, path, body) => (await fetch(url2 + path, { method, headers: auth(tenants.hooks), body: body && JSON.stringify(body) })).json();
await call2('POST', 'api-webhooks', { url: `${receiver.url}/ok/bench`, events: ['operation.started'] });
const hookUser = (await call2('POST', 'api-operators', { full_name: 'Bench', employee_id: 'HOOKS-1' })).data.operator.id;
const big = (await call2('POST', 'api-jobs', job(1, WEBHOOK_EVENTS))).data.parts[0].operations.map((o) => o.operation_id);
const batch = (await call2('POST', 'api-batches', { batch_number: `BENCH-${Date.now()}`, operation_ids: big })).data.batch;
const t0 = performance.now();
await call2('POST', `api-batch-lifecycle/start?id=${batch.id}&operator_id=${hookUser}`);
while (receiver.at('/ok/bench').length < WEBHOOK_EVENTS) {
  if (performance.now() - t0 > 120_000) throw new Error(`only ${receiver.at('/ok/bench').length} deliveries after 120 s`);
  await new Promise((r) => setTimeout(r, 20));
}
const deliverSeconds = (performance.now() - t0) / 1000;
await again.stop();
await receiver.close();
rmSync(persistDir, { recursive: true, force: true });

const ratio = (r) => (r === noop ? '1.00' : f(r.rps / noop.rps, 2));
const [small, large] = scaling;
const lines = [
  `# Benchmark results`,
  ``,
  `Local runtime (workerd + local D1, through the gateway), ${new Date().toISOString().slice(0, 10)}, autocannon with ${CONNECTIONS} connections; rerun with \`npm run bench\`.`,
  ``,
  `## Throughput and latency`,
  ``,
  `| request | requests | req/s | x no-op | p50 ms | p99 ms | non-2xx |`,
  `|---|---:|---:|---:|---:|---:|---:|`,
  ...results.map((r) => `| ${r.name} | ${r.n} | ${f(r.rps)} | ${ratio(r)} | ${r.p50} | ${r.p99} | ${r.errors} |`),
  ``,
  `Targets: GET one job at 0.50 x no-op or more (${ratio(results[1])}), list 100 at 0.25 or more (${ratio(results[2])}).`,
  ``,
  `## Scaling`,
  ``,
  `| tenant size (10 other tenants present) | list 100, p50 ms | filtered by status | without count | rows read |`,
  `|---|---:|---:|---:|---:|`,
  ...scaling.map((x) => `| ${x.label} | ${f(x.page)} | ${f(x.filtered)} | ${f(x.uncounted)} | ${x.rows} |`),
  ``,
  `Target: list latency at the big tenant within 2 x the small one: ${f(large.page / small.page, 2)} x (${f(large.uncounted / small.uncounted, 2)} x with \`include_count=false\`).`,
  ``,
  `| nested create, parts x 5 operations | p50 ms | D1 round trips |`,
  `|---|---:|---:|`,
  ...creates.map((x) => `| ${x.parts} | ${f(x.p50)} | ${x.trips} |`),
  ``,
  `## Bulk paths at their maximum size`,
  ``,
  `| request | ms | D1 round trips | rows read | summary |`,
  `|---|---:|---:|---:|---|`,
  ...bulk.map((b) => `| ${b.label} | ${f(b.ms, 0)} | ${b.trips} | ${b.rows} | ${b.summary} |`),
  ``,
  `Export of the big tenant's ${BIG.toLocaleString('en')} jobs as JSON, streamed: ${f(exportBytes / 1048576)} MiB in ${f(exportMs / 1000, 2)} s (${f(exportBytes / 1048576 / (exportMs / 1000))} MiB/s; one D1 read per 500 rows). The batch start of ${WEBHOOK_EVENTS} operations is the webhook figure below.`,
  ``,
  `## D1 round trips and rows read, per endpoint (from Server-Timing)`,
  ``,
  `| request | round trips | rows read |`,
  `|---|---:|---:|`,
  ...perEndpoint.map((p) => `| ${p.request} | ${p.trips} | ${p.rows} |`),
  ``,
  `## Workers: size and cold start`,
  ``,
  `| worker | wasm raw KiB | wasm gzip KiB |`,
  `|---|---:|---:|`,
  ...sizes.map((x) => `| ${x.worker} | ${f(x.wasm_raw / 1024)} | ${f(x.wasm_gzip / 1024)} |`),
  ``,
  `| worker (first request after start, via the gateway) | first ms | next ms |`,
  `|---|---:|---:|`,
  ...cold.map((x) => `| ${x.fn} | ${f(x.first)} | ${f(x.warm)} |`),
  ``,
  `## Webhooks`,
  ``,
  `${WEBHOOK_EVENTS} events (one batch start of ${WEBHOOK_EVENTS} operations) delivered, signed, to a local receiver in ${f(deliverSeconds, 2)} s: **${f(WEBHOOK_EVENTS / deliverSeconds, 0)} deliveries/s**.`,
];
const out = lines.join('\n') + '\n';
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench', 'results.md'), out);
console.log(`\n${out}`);
process.exit(0);
