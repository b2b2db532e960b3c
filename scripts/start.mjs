// `npm start`: builds everything, applies migrations to the local D1 in .wrangler/state,
// creates a demo tenant once (its key is kept beside the database), and serves the API at
// http://127.0.0.1:8787/functions/v1/... with the queue consumer running.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './build.mjs';
import { admin, execute, migrate, start } from './cluster.mjs';
import { root } from './lib.mjs';

const persistDir = process.env.ERYXON_STATE ?? join(root, '.wrangler', 'state');
const port = Number(process.env.PORT ?? 8787);

build();
mkdirSync(persistDir, { recursive: true });
migrate(persistDir);
const demoFile = join(persistDir, 'demo-tenant.json');
if (!existsSync(demoFile)) {
  const demo = admin(['tenant', 'create', '--name', 'Demo Manufacturing', '--plan', 'enterprise', '--key-name', 'demo', '--mode', 'test', '--admin-email', 'admin@demo.local']);
  execute(persistDir, demo.sql);
  const kept = {
    tenant_id: demo.tenant_id, api_key: demo.api_key, admin_email: demo.admin.email, admin_password: demo.admin.password,
    // Stands in for `wrangler secret put ERYXON_JWT_SECRET`; kept so sessions survive restarts.
    session_secret: randomBytes(32).toString('hex'),
  };
  writeFileSync(demoFile, JSON.stringify(kept, null, 2));
}
const demo = JSON.parse(readFileSync(demoFile, 'utf8'));
// Stand in for `wrangler secret put`; kept so sessions and sealed secrets survive restarts.
for (const name of ['session_secret', 'secrets_key']) demo[name] ??= randomBytes(32).toString('hex');
writeFileSync(demoFile, JSON.stringify(demo, null, 2));
const cluster = await start({
  port, persistDir, verbose: true, localWebhooks: true,
  sessionSecret: process.env.ERYXON_JWT_SECRET ?? demo.session_secret, secretsKey: process.env.ERYXON_SECRETS_KEY ?? demo.secrets_key,
});
console.log(`
Eryxon Flow is serving at ${cluster.url}/functions/v1/
  demo tenant: ${demo.tenant_id}
  API key:     ${demo.api_key}
  admin:       ${demo.admin_email ?? '(none: delete .wrangler/state to recreate the demo)'} / ${demo.admin_password ?? ''}

  curl -H "Authorization: Bearer ${demo.api_key}" ${cluster.url}/functions/v1/api-jobs
  curl -X POST ${cluster.url}/functions/v1/api-auth/sign-in -H 'Content-Type: application/json' \\
       -d '{"email":"${demo.admin_email}","password":"${demo.admin_password}"}'

Stop with Ctrl+C.`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await cluster.stop();
    process.exit(0);
  });
}
