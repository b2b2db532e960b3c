// Writes openapi/openapi.json from openapi/build.mjs (run after changing the API's shape;
// the tests fail while the file and the description disagree). The gateway serves the file
// at /functions/v1/openapi.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { document } from '../openapi/build.mjs';
import { root } from './lib.mjs';

export const rendered = () => `${JSON.stringify(document(), null, 2)}\n`;

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(join(root, 'openapi', 'openapi.json'), rendered());
  console.log('wrote openapi/openapi.json');
}
