// `npm run tenant -- create --name ACME --plan pro [--remote | --persist-to DIR]`
// `npm run tenant -- key create --tenant ID` / `npm run tenant -- key revoke --prefix P`
// Creates a tenant (or key) and prints the new API key once. Local by default, against the
// database of `npm start` (stop the stack first: one process writes the local file at a time).
import { join } from 'node:path';
import { admin, execute } from './cluster.mjs';
import { root } from './lib.mjs';

const args = process.argv.slice(2);
const take = (flag, hasValue) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, hasValue ? 2 : 1);
  return hasValue ? value : true;
};
const remote = take('--remote', false);
const persistDir = take('--persist-to', true) ?? join(root, '.wrangler', 'state');
const command = args[0] === 'create' ? ['tenant', ...args] : args;
const result = admin(command);
execute(remote ? null : persistDir, result.sql);
delete result.sql;
console.log(JSON.stringify(result, null, 2));
if (result.api_key) console.log('\nStore this API key now: it is not shown again.');
