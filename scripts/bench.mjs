// `npm run bench`: runs every benchmark (browser benches in Chromium, Node benches) one after another
// on a quiet machine, then prints the result files. Results: bench/results/<area>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNpm, ensureChromium, root } from './ensure.mjs';

ensureNpm();
const only = process.argv.slice(2);
const list = (dir, re) => existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).map((f) => join(dir, f)) : [];
const pick = (files) => only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const browserBenches = pick(list(join(root, 'bench'), /\.bench\.browser\.ts$/));
const nodeBenches = pick(list(join(root, 'bench'), /\.bench\.node\.(ts|mjs)$/));
let failed = false;
if (browserBenches.length) {
  ensureChromium();
  const r = spawnSync(process.execPath, ['--import', join(root, 'scripts/node-polyfills.mjs'), join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.bench.config.ts', ...browserBenches],
    { stdio: 'inherit', cwd: root });
  failed ||= r.status !== 0;
}
for (const f of nodeBenches) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), f], { stdio: 'inherit', cwd: root });
  failed ||= r.status !== 0;
}
for (const f of list(join(root, 'bench', 'results'), /\.json$/)) {
  console.log(`\n# ${f.replace(root + '/', '')}`);
  console.log(readFileSync(f, 'utf8'));
}
process.exit(failed ? 1 : 0);
