// `npm test`: everything on a fresh machine. Installs and builds what is missing, runs the
// native unit tests, then starts the real local stack on a fresh database with seeded
// tenants and runs the black-box tests against it over HTTP.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from './build.mjs';
import { admin, execute, migrate, start } from './cluster.mjs';
import { ensureChromium, ensureSchemathesis, ensureTools, root, run } from './lib.mjs';

const started = Date.now();
const step = (name) => console.log(`\n== ${name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

// Formatting and lints first: they fail in seconds, the wasm build takes minutes.
step('formatting and lints');
ensureTools();
run('cargo', ['fmt', '--all', '--', '--check']);
run('cargo', ['clippy', '--workspace', '--all-targets', '--', '-D', 'warnings']);

step('build');
build();

step('native unit tests');
// eryxon-openapi's tests fail while openapi/openapi.json is not what the declarations make.
run('cargo', ['test', '-p', 'eryxon-domain', '-p', 'eryxon-admin', '-p', 'eryxon-openapi']);

step('local stacks: hosted (plan limits on) and self-hosted (off)');
const seed = seedTenants();
// The tests sign their own tokens with it (expired, forged, of other tenants).
const sessionSecret = randomBytes(32).toString('hex');
// What `wrangler secret put ERYXON_SECRETS_KEY` sets in a deployment: seals secrets at rest.
const secretsKey = randomBytes(32).toString('hex');
const stacks = [];
for (const planLimits of [true, false]) {
  const persistDir = mkdtempSync(join(tmpdir(), 'eryxon-test-'));
  migrate(persistDir);
  execute(persistDir, seed.sql);
  // Only the hosted stack accepts local webhook receivers; the self-hosted one keeps the
  // production URL rules, which the tests check there.
  const cluster = await start({
    port: 0, persistDir, verbose: Boolean(process.env.VERBOSE), testClock: true, planLimits, localWebhooks: planLimits, webhookSchedule: '1,1,1', sessionSecret, secretsKey,
  });
  stacks.push({ ...cluster, persistDir });
}
const [hosted, selfHosted] = stacks;

step('black-box tests');
ensureChromium();
// `npm test -- admin webhooks` runs only the test files whose names contain those words.
const only = process.argv.slice(2);
const files = readdirSync(join(root, 'tests'))
  .filter((f) => f.endsWith('.test.mjs') && (only.length === 0 || only.some((o) => f.includes(o))))
  .map((f) => join('tests', f));
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env, ERYXON_URL: hosted.url, ERYXON_SELF_HOSTED_URL: selfHosted.url, ERYXON_SEED: JSON.stringify(seed.keys), ERYXON_JWT_SECRET: sessionSecret,
      // The tests look for secrets in the hosted stack's database files: none may be there in clear.
      ERYXON_DB_DIR: hosted.persistDir,
    },
  });
  child.on('exit', (c) => resolve(c ?? 1));
});
const fuzzed = only.length === 0 || only.includes('schemathesis') ? await fuzz(hosted.url, seed.keys) : 0;
for (const stack of stacks) {
  await stack.stop();
  rmSync(stack.persistDir, { recursive: true, force: true });
}
step(`done, exit ${code || fuzzed}`);
process.exit(code || fuzzed);

/**
 * Property-based fuzzing of every documented operation with Schemathesis and all its default
 * checks (tests/fuzz/): API-key operations as tenant B, admin ones with a session of tenant
 * C's admin; valid and invalid inputs, then the stateful phase following the document's
 * links. Tenant A's data must not move meanwhile.
 */
async function fuzz(url, keys) {
  step('Schemathesis');
  const schemathesis = ensureSchemathesis();
  const signIn = await fetch(`${url}/functions/v1/api-auth/sign-in`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: keys.adminC, password: keys.password }),
  });
  const session = (await signIn.json()).data?.access_token;
  if (!session) throw new Error(`signing in as ${keys.adminC} failed: ${signIn.status}`);
  const snapshot = async () => {
    const out = [];
    for (const path of ['api-jobs', 'api-parts', 'api-operations', 'api-cells', 'api-operators', 'api-webhooks', 'api-issues', 'api-batches', 'api-deletions']) {
      const sort = path === 'api-deletions' ? '' : '&sort_by=created_at&sort_order=desc';
      const res = await fetch(`${url}/functions/v1/${path}?limit=1${sort}`, { headers: { authorization: `Bearer ${keys.a}` } });
      out.push(`${path} ${res.headers.get('etag')}`);
    }
    return out.join('\n');
  };
  const before = await snapshot();
  const args = [
    '--config-file', join(root, 'tests', 'fuzz', 'schemathesis.toml'), '--no-color',
    'run', join(root, 'openapi', 'openapi.json'), '--url', url,
    '--max-examples', process.env.FUZZ_EXAMPLES ?? '10', '--seed', '1',
  ];
  const env = { ...process.env, ERYXON_FUZZ_KEY: keys.b, ERYXON_FUZZ_SESSION: session, ERYXON_FUZZ_HOOKS: join(root, 'tests', 'fuzz', 'hooks.py') };
  let output = '';
  const status = await new Promise((resolve) => {
    const child = spawn(schemathesis, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => { process.stdout.write(chunk); output += chunk; });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const cases = output.match(/(\d+) generated/)?.[1] ?? '?';
  const dropped = output.match(/Filtered: (\d+)/)?.[1] ?? '0';
  console.log(`Schemathesis: ${cases} generated cases, every default check; ${dropped} refusals of valid data dropped as cross-record rules (tests/fuzz/hooks.py).`);
  const after = await snapshot();
  if (before !== after) {
    console.error(`Tenant A's data changed while Schemathesis ran as tenant B:\n${before}\n---\n${after}`);
    return 1;
  }
  console.log('Tenant isolation held: tenant A\'s lists are unchanged.');
  return status;
}

/**
 * Tenants A and B (enterprise: the suite's many requests never meet a limit), each with an
 * admin who signs in, an operator of A who can sign in too, a revoked key of A, a free tenant
 * for the rate limit and job quota, and a small one whose parts quota is overridden to 10.
 */
function seedTenants() {
  const password = 'correct horse battery staple';
  const a = admin(['tenant', 'create', '--name', 'Tenant A', '--plan', 'enterprise', '--admin-email', 'admin@a.example', '--admin-password', password]);
  const b = admin(['tenant', 'create', '--name', 'Tenant B', '--plan', 'enterprise', '--admin-email', 'admin@b.example', '--admin-password', password]);
  const operator = admin(['user', 'create', '--tenant', a.tenant_id, '--email', 'operator@a.example', '--role', 'operator', '--password', password]);
  const old = admin(['key', 'create', '--tenant', a.tenant_id, '--key-name', 'revoked']);
  const revoke = admin(['key', 'revoke', '--prefix', old.key_prefix]);
  // Tenant C's admin signs in for the fuzzing of the admin operations.
  const c = admin(['tenant', 'create', '--name', 'Tenant C', '--plan', 'enterprise', '--admin-email', 'admin@c.example', '--admin-password', password]);
  const free = admin(['tenant', 'create', '--name', 'Free Tenant', '--plan', 'free']);
  const second = admin(['key', 'create', '--tenant', free.tenant_id, '--key-name', 'second']);
  const small = admin(['tenant', 'create', '--name', 'Small Tenant', '--plan', 'pro', '--max-parts', '10']);
  // Its job quota is raced by parallel ERP syncs (tests/erp-sync.test.mjs).
  const syncQuota = admin(['tenant', 'create', '--name', 'Sync Quota Tenant', '--plan', 'pro', '--max-jobs', '6']);
  return {
    sql: [a.sql, b.sql, c.sql, operator.sql, old.sql, revoke.sql, free.sql, second.sql, small.sql, syncQuota.sql].join('\n'),
    keys: {
      a: a.api_key, b: b.api_key, revoked: old.api_key, tenantA: a.tenant_id, tenantB: b.tenant_id,
      password, adminA: 'admin@a.example', adminB: 'admin@b.example', adminC: 'admin@c.example', operatorA: 'operator@a.example',
      free: free.api_key, freeSecond: second.api_key, small: small.api_key, syncQuota: syncQuota.api_key,
    },
  };
}
