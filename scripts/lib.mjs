// Shared helpers of the npm scripts: running commands, the repository's workers, and the
// tools a fresh machine needs (installed once, skipped when present).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a command, streaming its output; throws when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  return r;
}

/** Runs a command and returns its stdout (null when it cannot run). */
export function output(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Every worker: the gateway (top-level wrangler.toml) and each functions/<name>; with
 * `bench`, also the benchmark's no-op worker (bench/noop, never deployed).
 */
export function workers({ bench = false } = {}) {
  const fns = readdirSync(join(root, 'functions'))
    .filter((n) => existsSync(join(root, 'functions', n, 'wrangler.toml')))
    .sort()
    .map((name) => ({ name, dir: join(root, 'functions', name), config: join(root, 'functions', name, 'wrangler.toml') }));
  const extra = bench ? [{ name: 'noop', dir: join(root, 'bench', 'noop'), config: join(root, 'bench', 'noop', 'wrangler.toml') }] : [];
  return [{ name: 'gateway', dir: join(root, 'gateway'), config: join(root, 'wrangler.toml') }, ...fns, ...extra];
}

/** The wasm-bindgen version in Cargo.lock: worker-build needs that exact CLI. */
function lockedWasmBindgen() {
  const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
  return lock.match(/name = "wasm-bindgen"\nversion = "([^"]+)"/)[1];
}

const WORKER_BUILD = '0.8.7';

/**
 * Installs what is missing: npm packages, the wasm target, rustfmt and clippy (for the lint
 * step of `npm test`), wasm-bindgen-cli, worker-build.
 */
export function ensureTools() {
  const stamp = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(stamp) || statSync(stamp).mtimeMs < statSync(join(root, 'package-lock.json')).mtimeMs) {
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
  if (!(output('rustup', ['target', 'list', '--installed']) ?? '').includes('wasm32-unknown-unknown')) {
    run('rustup', ['target', 'add', 'wasm32-unknown-unknown']);
  }
  // The same way as the target: components of the machine's one toolchain, from rustup.
  if (output('cargo', ['fmt', '--version']) === null || output('cargo', ['clippy', '--version']) === null) {
    run('rustup', ['component', 'add', 'rustfmt', 'clippy']);
  }
  const wb = lockedWasmBindgen();
  if (!versionIs(output('wasm-bindgen', ['--version']), wb)) {
    run('cargo', ['install', 'wasm-bindgen-cli', '--version', wb, '--force']);
  }
  if (!versionIs(output('worker-build', ['--version']), WORKER_BUILD)) {
    run('cargo', ['install', 'worker-build', '--version', WORKER_BUILD, '--force']);
  }
}

/** Debian's Chromium, for the docs page test (the machine's package manager, as root). */
export function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'chromium'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const SCHEMATHESIS = '4.32.5';

/** Schemathesis (from PyPI) in the project's own virtualenv, `.venv`; returns its command. */
export function ensureSchemathesis() {
  const cmd = join(root, '.venv', 'bin', 'schemathesis');
  if (!versionIs(output(cmd, ['--version']), SCHEMATHESIS)) {
    // Debian's python3 makes virtualenvs only with its python3-venv package (ensurepip).
    if (output('python3', ['-c', 'import ensurepip']) === null) {
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', 'python3-venv'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    }
    run('python3', ['-m', 'venv', join(root, '.venv')]);
    run(join(root, '.venv', 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS}`]);
  }
  return cmd;
}

/** Whether a `--version` line names exactly this version ("x 1.2.3" or "1.2.3"). */
function versionIs(line, version) {
  return line !== null && line.split(/\s+/).includes(version);
}

/** Environment for worker-build: local tools instead of its downloads from outside. */
export function buildEnv() {
  return {
    ...process.env,
    WASM_BINDGEN_BIN: output('which', ['wasm-bindgen']),
    WASM_OPT_BIN: bin('wasm-opt'),
    ESBUILD_BIN: bin('esbuild'),
  };
}

export const wranglerBin = bin('wrangler');

/** Quiet, offline wrangler. */
export const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' };
