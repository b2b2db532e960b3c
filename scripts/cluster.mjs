// The local stack: every worker in one Miniflare (workerd) instance, configured from the same
// wrangler.toml files that deploy them, sharing one local D1 and one queue. The gateway is
// first, so it receives every request and forwards /functions/v1/<name> by service binding.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, workers, wranglerBin, wranglerEnv } from './lib.mjs';

const DATABASE = 'eryxon';
// Any function's config names the shared database and its migrations folder.
const dbConfig = () => workers().find((w) => w.name !== 'gateway').config;

function wrangler(args) {
  const r = spawnSync(wranglerBin, args, { cwd: root, env: wranglerEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Applies migrations/ to the local D1 under `persistDir` (what `--remote` does in production). */
export function migrate(persistDir) {
  wrangler(['d1', 'migrations', 'apply', DATABASE, '--local', '--persist-to', persistDir, '-c', dbConfig()]);
}

/** Runs SQL text against the local D1 under `persistDir`, or the remote one when it is null. */
export function execute(persistDir, sql) {
  const dir = mkdtempSync(join(tmpdir(), 'eryxon-sql-'));
  const file = join(dir, 'run.sql');
  writeFileSync(file, sql);
  try {
    const where = persistDir ? ['--local', '--persist-to', persistDir] : ['--remote'];
    wrangler(['d1', 'execute', DATABASE, ...where, '-c', dbConfig(), '--file', file, '--yes']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the admin tool (see tools/eryxon-admin) and returns its JSON answer. */
export function admin(args) {
  const r = spawnSync('cargo', ['run', '--quiet', '-p', 'eryxon-admin', '--', ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`eryxon-admin ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * Starts every worker; resolves to { url, stop }. Port 0 picks a free port. `testClock` lets
 * requests set the time with `X-Eryxon-Test-Now` (the test stack only, never a deployment);
 * `planLimits: false` runs it as a self-hosted deployment without rate limits or quotas;
 * `localWebhooks` lets webhooks deliver to http://127.0.0.1 (development, tests), and
 * `webhookSchedule` replaces the retry delays ("1,1,1" seconds in tests); `bench` adds the
 * no-op worker at /functions/v1/noop. `sessionSecret` is what `wrangler secret put
 * ERYXON_JWT_SECRET` sets in a deployment: the key that signs and checks session tokens;
 * `secretsKey` is `ERYXON_SECRETS_KEY`, the key that seals secrets at rest.
 */
export async function start({ port = 8787, persistDir, verbose = false, testClock = false, planLimits = true, localWebhooks = false, webhookSchedule, bench = false, sessionSecret, secretsKey }) {
  const { Miniflare, Log, LogLevel } = await import('miniflare');
  const { unstable_getMiniflareWorkerOptions } = await import('wrangler');
  const options = workers({ bench }).map((w) => {
    const { workerOptions, main } = unstable_getMiniflareWorkerOptions(w.config);
    const bindings = {
      ...workerOptions.bindings,
      ...(testClock ? { ERYXON_TEST_CLOCK: 'enabled' } : {}),
      ...(planLimits ? {} : { ERYXON_PLAN_LIMITS: 'off' }),
      ...(localWebhooks ? { ERYXON_WEBHOOK_ALLOW_LOCAL: 'enabled' } : {}),
      ...(webhookSchedule ? { ERYXON_WEBHOOK_SCHEDULE: webhookSchedule } : {}),
      ...(sessionSecret ? { ERYXON_JWT_SECRET: sessionSecret } : {}),
      ...(secretsKey ? { ERYXON_SECRETS_KEY: secretsKey } : {}),
    };
    return { ...workerOptions, bindings, name: w.name, modules: true, scriptPath: main };
  });
  // The benchmark's no-op worker is reached through the gateway like any function.
  if (bench) options[0].serviceBindings = { ...options[0].serviceBindings, NOOP: 'noop' };
  const mf = new Miniflare({
    host: '127.0.0.1',
    port,
    cf: false,
    defaultPersistRoot: join(persistDir, 'v3'),
    log: new Log(verbose ? LogLevel.INFO : LogLevel.WARN),
    workers: options,
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  return { url, stop: () => mf.dispose() };
}
