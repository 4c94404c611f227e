// Installs what a fresh clone lacks: npm packages, Debian's Chromium, the Python virtualenv.
// Node built-ins only: this runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args, opts = {}) {
  console.log(`[setup] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`[setup] '${cmd} ${args.join(' ')}' failed with exit code ${r.status}`);
}

const sha = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** npm packages: `npm ci` when node_modules is missing or older than package-lock.json. */
export function ensureNpm() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.fwd2bot-lock-sha');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === sha(lock)) return;
  run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund']);
  writeFileSync(stamp, sha(lock));
}

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium (never a downloaded browser build: nothing may be fetched outside apt/npm). */
export function ensureChromium() {
  if (existsSync(chromiumPath)) return;
  const isRoot = process.getuid?.() === 0;
  const prefix = isRoot ? [] : ['sudo', '-n'];
  const apt = (args) => run(prefix[0] ?? 'apt-get', prefix.length ? [...prefix.slice(1), 'apt-get', ...args] : args,
    { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', 'chromium', 'chromium-driver']);
  if (!existsSync(chromiumPath)) throw new Error(`[setup] chromium installed but ${chromiumPath} is missing`);
}

export const venvPython = join(root, '.venv', 'bin', 'python');

/** Project virtualenv with the pinned training/export requirements, from the machine's local pip index. */
export function ensurePython() {
  const req = join(root, 'python', 'requirements.txt');
  const stamp = join(root, '.venv', '.fwd2bot-req-sha');
  if (existsSync(venvPython) && existsSync(stamp) && readFileSync(stamp, 'utf8') === sha(req)) return;
  if (!existsSync(venvPython)) run('python3', ['-m', 'venv', join(root, '.venv')]);
  // The machine's pip config lists PyPI (unreachable) first; point pip at the local mirror when present.
  const local = existsSync('/opt/pypi/simple')
    ? ['--index-url', 'file:///opt/pypi/simple',
       ...(existsSync('/opt/pypi-more/simple') ? ['--extra-index-url', 'file:///opt/pypi-more/simple'] : []),
       ...(existsSync('/opt/wheels') ? ['--find-links', '/opt/wheels'] : [])]
    : [];
  run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...local, '-r', req]);
  writeFileSync(stamp, sha(req));
}

export function isNewer(a, b) {
  return existsSync(a) && (!existsSync(b) || statSync(a).mtimeMs > statSync(b).mtimeMs);
}

export function has(cmd) {
  try { execFileSync('which', [cmd], { stdio: 'ignore' }); return true; } catch { return false; }
}
