// `node scripts/reproduce.mjs`: regenerates docs/REPRODUCTION.md and its plots (docs/reproduction/) from the
// held-out test split, the model evaluated through its exported ONNX graphs by the TypeScript engine in Node,
// with the PyTorch numbers beside it. Steps (intermediate files in --work):
//
//   1. evaluate   python -m fwd2bot.evaluate      only when no PyTorch eval.json exists yet (all baselines, 2000 scenes)
//   2. testset    python -m fwd2bot.testset       the first --scenes test scenes: PNGs + questions/captions/negatives
//   3. ts         npx tsx cli/evaluate.ts         the engine on onnxruntime-node: VQA, captions, retrieval, speed
//   4. analysis   python -m fwd2bot.analysis      PyTorch on the engine's items; Figs. 4, 5, 6
//   5. report     python -m fwd2bot.report        docs/REPRODUCTION.md + plots
//
// Options (defaults in brackets):
//   --model <dir> [public/models/default]   --run <dir> [runs/default]
//   --weights <fwd2bot.safetensors | tiny-random> [<run>/fwd2bot.safetensors]   --base <file> [<run>/instruct.safetensors]
//   --pytorch-eval <eval.json> [<run>/eval.json, else <model>/eval.json, else <work>/eval.json]
//   --scenes [400] --retrieval-scenes [500]      engine path, and PyTorch on the same items
//   --workers [2]                                engine processes sharing the scenes (one ORT thread each)
//   --pytorch-scenes [2000] --pytorch-retrieval-scenes [1000]   step 1 only
//   --mask-scenes [200] --density-scenes [32] --caption-scenes [4]
//   --ablations [runs/ablations if it exists, else python/checkpoints/ablations (the committed results)] --bench [bench/results] --out [docs/REPRODUCTION.md] --plots [docs/reproduction]
//   --work [artifacts/reproduction] --threads [2] (PyTorch) --skip <step,...> (reuse that step's files from --work)
//   --quick   50 scenes everywhere (a smoke run, minutes)
// Sized for under ~30 min on 2 CPU cores (measured: ~3.8 CPU-s per scene for the engine's 4 K' values, VQA + caption,
// so 400 scenes on 2 workers ~13 min; PyTorch's same items + Figs. 4-6 ~8 min). docs/REPRODUCTION.md lists each step's time.
// Run it niced on a shared machine: `nice -n 19 node scripts/reproduce.mjs`.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureNpm, ensurePython, root, venvPython } from './ensure.mjs';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'public/models/default' },
    run: { type: 'string', default: 'runs/default' },
    weights: { type: 'string' },
    base: { type: 'string' },
    'pytorch-eval': { type: 'string' },
    scenes: { type: 'string' },
    'retrieval-scenes': { type: 'string' },
    'pytorch-scenes': { type: 'string', default: '2000' },
    'pytorch-retrieval-scenes': { type: 'string', default: '1000' },
    'mask-scenes': { type: 'string' },
    'density-scenes': { type: 'string' },
    'caption-scenes': { type: 'string', default: '4' },
    ablations: { type: 'string', default: existsSync('runs/ablations') ? 'runs/ablations' : 'python/checkpoints/ablations' },
    bench: { type: 'string', default: 'bench/results' },
    out: { type: 'string', default: 'docs/REPRODUCTION.md' },
    plots: { type: 'string' },
    work: { type: 'string', default: 'artifacts/reproduction' },
    threads: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    skip: { type: 'string', default: '' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (o.help) {
  console.log('usage: node scripts/reproduce.mjs [--model dir] [--weights file|tiny-random] [--scenes 400] [--quick] ... (see the header of scripts/reproduce.mjs)');
  process.exit(0);
}

const q = o.quick;
const n = (v, full, quick) => String(v ?? (q ? quick : full));
const scenes = n(o.scenes, 400, 50);
const retrievalScenes = n(o['retrieval-scenes'], 500, 50);
const maskScenes = n(o['mask-scenes'], 200, 30);
const densityScenes = n(o['density-scenes'], 32, 8);
const work = resolve(root, o.work);
const at = (p) => resolve(root, p);
const rel = (p) => relative(root, p) || '.';
const skip = new Set(o.skip.split(',').filter(Boolean));
const weights = o.weights ?? join(o.run, 'fwd2bot.safetensors');
const haveWeights = weights.startsWith('tiny-random') || existsSync(at(weights));
const base = o.base ?? join(o.run, 'instruct.safetensors');
if (!existsSync(at(join(o.model, 'manifest.json')))) {
  console.error(`[reproduce] ${o.model}/manifest.json is missing: export the model first (docs/MODEL_PACKAGE.md), or pass --model`);
  process.exit(2);
}
if (o.weights && !haveWeights) {
  console.error(`[reproduce] --weights ${o.weights} does not exist`);
  process.exit(2);
}
mkdirSync(work, { recursive: true });

ensureNpm();
ensurePython();
const env = { ...process.env, PYTHONPATH: join(root, 'python'), FWD2BOT_THREADS: o.threads, OMP_WAIT_POLICY: 'PASSIVE' };
const steps = [];
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;

/** CPU seconds of this process's waited-for children so far (Linux /proc; null elsewhere). */
function childCpuSeconds() {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[13]) + Number(f[14])) / 100; // cutime, cstime (fields 16, 17) in USER_HZ = 100 ticks
  } catch {
    return null;
  }
}

function step(name, cmd, args) {
  const shown = [cmd === venvPython ? `${rel(venvPython)}` : cmd, ...args].join(' ');
  if (skip.has(name)) {
    console.error(`[reproduce] ${name}: skipped (--skip), reusing ${rel(work)}`);
    steps.push({ name, command: shown, seconds: 0, status: 'skipped, earlier output reused' });
    return;
  }
  console.error(`\n[reproduce] ${name}: ${shown}`);
  const t0 = performance.now();
  const c0 = childCpuSeconds();
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env });
  const seconds = (performance.now() - t0) / 1000;
  const c1 = childCpuSeconds();
  steps.push({ name, command: shown, seconds, cpuSeconds: c0 === null || c1 === null ? null : c1 - c0,
    status: r.status === 0 ? 'ok' : `failed (${r.status ?? r.signal})` });
  console.error(`[reproduce] ${name}: ${r.status === 0 ? 'done' : 'FAILED'} in ${seconds.toFixed(1)} s`);
  if (r.status !== 0) {
    writeSteps();
    process.exit(1);
  }
}

function writeSteps() {
  writeFileSync(join(work, 'steps.json'), JSON.stringify({ command: `node scripts/reproduce.mjs ${process.argv.slice(2).join(' ')}`.trim(), machine, steps }, null, 1) + '\n');
}

// 1. PyTorch evaluation (the full evaluate.py with every baseline), only when none exists
const candidates = [o['pytorch-eval'], join(o.run, 'eval.json'), join(o.model, 'eval.json'), join(rel(work), 'eval.json')].filter(Boolean);
let pytorchEval = candidates.find((p) => existsSync(at(p)));
if (o['pytorch-eval'] && !existsSync(at(o['pytorch-eval']))) {
  console.error(`[reproduce] --pytorch-eval ${o['pytorch-eval']} does not exist`);
  process.exit(2);
}
if (!pytorchEval && haveWeights && !weights.startsWith('tiny-random')) {
  pytorchEval = join(rel(work), 'eval.json');
  step('evaluate', venvPython, ['-m', 'fwd2bot.evaluate', '--run', o.run, '--fwd2bot', weights, '--base', base,
    '--scenes', o['pytorch-scenes'], '--retrieval-scenes', o['pytorch-retrieval-scenes'], '--out', pytorchEval]);
} else if (!pytorchEval) {
  console.error('[reproduce] no PyTorch eval.json and no trained weights: the report will say so');
}

// 2. the test set for the engine
const testset = join(rel(work), 'testset');
step('testset', venvPython, ['-m', 'fwd2bot.testset', '--out', testset, '--scenes', String(Math.max(+scenes, +retrievalScenes))]);

// 3. the TypeScript engine through the ONNX graphs
const tsEval = join(rel(work), 'eval-ts.json');
step('ts', process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), 'cli/evaluate.ts', '--model', o.model, '--testset', testset,
  '--scenes', scenes, '--retrieval-scenes', retrievalScenes, '--workers', o.workers, '--threads', '1', '--out', tsEval]);

// 4. PyTorch on the same items, Figs. 4-6
const analysis = join(rel(work), 'analysis.json');
if (haveWeights) {
  step('analysis', venvPython, ['-m', 'fwd2bot.analysis', '--weights', weights, ...(existsSync(at(base)) && !weights.startsWith('tiny-random') ? ['--base', base] : []),
    '--scenes', scenes, '--retrieval-scenes', retrievalScenes, '--caption-scenes', o['caption-scenes'],
    '--mask-scenes', maskScenes, '--density-scenes', densityScenes, '--out', analysis]);
} else {
  console.error(`[reproduce] no weights at ${weights}: PyTorch analysis skipped (pass --weights)`);
}

// 5. the report
writeSteps();
const plots = o.plots ?? join(o.out, '..', 'reproduction');
step('report', venvPython, ['-m', 'fwd2bot.report', ...(pytorchEval ? ['--pytorch-eval', pytorchEval] : []), '--ts-eval', tsEval,
  ...(haveWeights && existsSync(at(analysis)) ? ['--analysis', analysis] : []), '--ablations', o.ablations, '--bench', o.bench, '--model', o.model,
  '--run', o.run, '--steps', join(rel(work), 'steps.json'), '--out', o.out, '--plots', plots]);
writeSteps();
const total = steps.reduce((s, x) => s + x.seconds, 0);
console.error(`\n[reproduce] ${o.out} written; steps: ${steps.map((s) => `${s.name} ${s.seconds.toFixed(0)} s`).join(', ')} (total ${total.toFixed(0)} s)`);
