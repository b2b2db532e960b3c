// Builds every worker (or those named): one cargo build for all crates, then worker-build per
// crate, skipped when its wasm did not change. Prints each worker's size, raw and gzip.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { buildDocs } from './docs.mjs';
import { buildEnv, ensureTools, root, run, workers } from './lib.mjs';

export function build(names = [], { bench = false } = {}) {
  ensureTools();
  const chosen = workers({ bench }).filter((w) => names.length === 0 || names.includes(w.name));
  const crates = chosen.flatMap((w) => ['-p', w.name]);
  run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', ...crates]);
  const env = buildEnv();
  const sizes = [];
  for (const w of chosen) {
    const wasm = readFileSync(join(root, 'target/wasm32-unknown-unknown/release', `${w.name.replaceAll('-', '_')}.wasm`));
    const digest = createHash('sha256').update(wasm).digest('hex');
    const stamp = join(w.dir, 'build', '.source-sha256');
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
      run('worker-build', ['--release', '--out-dir', 'build'], { cwd: w.dir, env });
      const built = join(w.dir, 'build', 'index_bg.wasm');
      writeFileSync(built, withoutNames(readFileSync(built)));
      writeFileSync(stamp, digest);
    }
    sizes.push(measure(w));
  }
  buildDocs();
  console.log(table(sizes));
  return sizes;
}

/**
 * The module without its `name` custom section: worker-build keeps it (wasm-opt --debuginfo)
 * for symbolized stack traces, at 15% of the gzipped size; our workers abort on panic and log
 * their errors themselves, so the names buy nothing at the edge.
 */
export function withoutNames(wasm) {
  const leb = (at) => {
    let value = 0;
    let shift = 0;
    let b;
    do {
      b = wasm[at++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return [value, at];
  };
  const kept = [wasm.subarray(0, 8)];
  for (let at = 8; at < wasm.length; ) {
    const start = at;
    const id = wasm[at];
    const [size, body] = leb(at + 1);
    const end = body + size;
    const [nameLength, nameAt] = id === 0 ? leb(body) : [0, body];
    const name = id === 0 ? wasm.subarray(nameAt, nameAt + nameLength).toString('utf8') : '';
    if (name !== 'name') kept.push(wasm.subarray(start, end));
    at = end;
  }
  return Buffer.concat(kept);
}

function measure(w) {
  const wasm = readFileSync(join(w.dir, 'build', 'index_bg.wasm'));
  const js = readFileSync(join(w.dir, 'build', 'index.js'));
  return { worker: w.name, wasm_raw: wasm.length, wasm_gzip: gzipSync(wasm, { level: 9 }).length, js_gzip: gzipSync(js, { level: 9 }).length };
}

function table(rows) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const lines = ['worker              wasm raw    wasm gzip   js gzip'];
  for (const r of rows) lines.push(`${r.worker.padEnd(20)}${kb(r.wasm_raw).padEnd(12)}${kb(r.wasm_gzip).padEnd(12)}${kb(r.js_gzip)}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) build(process.argv.slice(2));
