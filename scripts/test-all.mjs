// `npm test`: install what is missing, run every test layer, print one totals line.
//   typecheck -> node unit (vitest) -> python (pytest) -> browser (vitest + Chromium/WebGPU) -> e2e (playwright-core)
// Exit code is non-zero if any test fails, a layer crashes, or a layer that has test files ran none.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureNpm, ensureChromium, ensurePython, venvPython, root } from './ensure.mjs';

const only = process.argv.slice(2); // e.g. `npm test -- unit browser`
const want = (name) => only.length === 0 || only.includes(name);
const resultsDir = join(root, 'artifacts', 'results');
mkdirSync(resultsDir, { recursive: true });

function listFiles(dir, pred, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, pred, out); else if (pred(p)) out.push(relative(root, p));
  }
  return out;
}

const isBrowser = (p) => /\.browser\.test\.tsx?$/.test(p);
const layers = [
  {
    name: 'typecheck', files: ['tsconfig.json'],
    run() {
      const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'],
        { stdio: 'inherit', cwd: root });
      return { passed: r.status === 0 ? 1 : 0, failed: r.status === 0 ? 0 : 1, crashed: false };
    },
  },
  {
    name: 'unit',
    files: [...listFiles(join(root, 'test/unit'), (p) => p.endsWith('.test.ts')),
            ...listFiles(join(root, 'src'), (p) => /\.test\.tsx?$/.test(p) && !isBrowser(p))],
    run: () => vitest('vitest.config.ts', 'unit'),
  },
  {
    name: 'python',
    files: listFiles(join(root, 'python/tests'), (p) => /test_.*\.py$/.test(p)),
    setup: ensurePython,
    run() {
      const xml = join(resultsDir, 'python.xml');
      rmSync(xml, { force: true });
      const r = spawnSync(venvPython, ['-m', 'pytest', 'python/tests', '-q', `--junitxml=${xml}`],
        { stdio: 'inherit', cwd: root, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
      if (!existsSync(xml)) return { passed: 0, failed: 0, crashed: true, code: r.status };
      const suite = readFileSync(xml, 'utf8').match(/<testsuite [^>]*>/)?.[0] ?? '';
      const attr = (k) => Number(suite.match(new RegExp(`\\b${k}="(\\d+)"`))?.[1] ?? 0);
      const failed = attr('failures') + attr('errors');
      return { passed: attr('tests') - failed - attr('skipped'), failed, skipped: attr('skipped'),
               crashed: r.status !== 0 && failed === 0, code: r.status };
    },
  },
  {
    name: 'browser',
    files: [...listFiles(join(root, 'test/browser'), isBrowser), ...listFiles(join(root, 'src'), isBrowser)],
    setup: ensureChromium,
    run: () => vitest('vitest.browser.config.ts', 'browser'),
  },
  {
    name: 'e2e',
    files: listFiles(join(root, 'test/e2e'), (p) => p.endsWith('.e2e.test.ts')),
    setup: ensureChromium,
    run: () => vitest('vitest.e2e.config.ts', 'e2e'),
  },
];

function vitest(config, name) {
  const out = join(resultsDir, `${name}.json`);
  rmSync(out, { force: true });
  const r = spawnSync(process.execPath,
    ['--import', join(root, 'scripts/node-polyfills.mjs'), join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config,
     '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
    { stdio: 'inherit', cwd: root, env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1' } });
  if (!existsSync(out)) return { passed: 0, failed: 0, crashed: true, code: r.status };
  const j = JSON.parse(readFileSync(out, 'utf8'));
  // A file that fails to load has no failed test but a failed suite: count it as one failure.
  const brokenFiles = (j.testResults ?? []).filter((f) => f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')).length;
  const failed = j.numFailedTests + brokenFiles;
  return { passed: j.numPassedTests, failed, skipped: j.numPendingTests + j.numTodoTests,
           crashed: r.status !== 0 && failed === 0, code: r.status };
}

ensureNpm();
let passed = 0, failed = 0, skipped = 0;
const summary = [];
for (const layer of layers) {
  if (!want(layer.name)) continue;
  if (layer.files.length === 0) { summary.push(`${layer.name}: no test files`); continue; }
  console.log(`\n=== ${layer.name} (${layer.files.length} file${layer.files.length > 1 ? 's' : ''}) ===`);
  let r;
  try {
    layer.setup?.();
    r = layer.run();
  } catch (e) {
    console.error(e);
    r = { passed: 0, failed: 0, crashed: true };
  }
  let note = '';
  if (r.crashed) { r.failed += 1; note = ` (runner exited with ${r.code ?? 'an error'} and reported no failing test: counted as 1 failure)`; }
  else if (r.passed + r.failed === 0) { r.failed += 1; note = ' (has test files but ran no test: counted as 1 failure)'; }
  passed += r.passed; failed += r.failed; skipped += r.skipped ?? 0;
  summary.push(`${layer.name}: ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}${note}`);
}
console.log('\n=== summary ===');
for (const s of summary) console.log(s);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
