#!/usr/bin/env -S npx tsx
// The held-out evaluation through the deployed graphs: the TypeScript engine on onnxruntime-node scores a
// test set written by `python -m fwd2bot.testset` with the metrics of python/fwd2bot/evaluate.py, so its
// numbers sit beside PyTorch's (docs/REPRODUCTION.md, `node scripts/reproduce.mjs`).
//
//   npx tsx cli/evaluate.ts --testset <dir> [--model public/models/default] [--out eval-ts.json]
//                           [--scenes 300] [--retrieval-scenes 300] [--ks 16,8,4,1] [--workers 2] [--threads 1]
//                           [--perf true] [--map-scenes 4]
//
// Every photo goes through what the app does: PNG decode, box resize, vision.onnx, pass 1; its tokens are kept
// as the library keeps them (fp16) and every answer, caption and search starts from those:
//   VQA / captions  engine.openChat(stored tokens, { kPrime: K' }) greedy, maxTokens as evaluate.py decodes
//   retrieval       fp16 image embeddings in a Gallery; caption queries through engine.embedText and the
//                   engine's search scan (text -> image), image embeddings against a caption Gallery (image -> text)
//   hard negatives  cosine of the stored image embedding with the true caption vs with each negative
// The engine decodes one sequence at a time, so --workers N runs N processes (one ORT session each) on every
// N-th scene and merges what they saw; the metrics are computed once, from all items, in scene order.
// With --perf (default true) the first worker also measures, after the others are done, time to first token
// from stored tokens vs from all V vision tokens, decoding speed and search latency vs library size
// (bench/engineBench.ts, the benchmarks' own code), and indexing throughput from the evaluation itself.

import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureDecode, measureSearch, measureTtft, round } from '../bench/engineBench';
import { Engine } from '../src/engine/core/engine';
import { Gallery, searchGallery } from '../src/engine/core/search';
import { hintOf } from '../src/engine/errors';
import { preprocessImage } from '../src/model/image';
import { f16ArrayToF32, f32ArrayToF16 } from '../src/shared/fp16';
import { numberOpt, onlyOptions, parseArgs, stringOpt, UsageError, type Args } from './args';
import { CaptionScore, dot, rankIn, recallAt, VqaScore, type Fact, type FactPatterns } from './evalMetrics';
import { folderSource } from './nodeSource';
import { createNodeBackend } from './ortNode';
import { decodePng } from './png';

export interface TestItem {
  index: number;
  image: string;
  caption: string;
  facts: Fact[];
  questions: { type: string; question: string; answer: string }[];
  hardNegatives: Record<string, string>;
}

export interface TestSet {
  format: 'fwd2bot-testset';
  version: number;
  split: string;
  scenes: number;
  imageSize: number;
  questionTypes: string[];
  negativeTypes: string[];
  generation: { vqaMaxTokens: number; captionMaxTokens: number; captionQuestion: string };
  captionFactPatterns: FactPatterns;
  items: TestItem[];
}

export interface EvaluateOptions {
  model: string;
  testset: string;
  scenes?: number;
  retrievalScenes?: number;
  ks?: number[];
  /** ORT intra-op threads per worker (default 1 with several workers, else 2). */
  threads?: number;
  /** Processes sharing the scenes (default 1). */
  workers?: number;
  perf?: boolean;
  /** Scenes whose pass-1 attention map (paper Fig. 4) is kept (default 4; needs the per-layer graphs). */
  mapScenes?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** What one worker saw: per-item outputs, no metrics. Embeddings travel as base64 of their bytes. */
interface ShardOutput {
  shard: [number, number];
  model: { modelId: string; name: string; K: number; d: number; V: number; tokenCounts: number[]; quantization: Record<string, string | number>; decoderPath: string };
  ks: number[];
  skippedKs: number[];
  gen: { scene: number; answers: Record<string, string[]>; captions: Record<string, string> }[];
  ret: { scene: number; image: string; caption: string; negatives: Record<string, string> }[]; // fp16 / fp32 / fp32
  maps: { scene: number; grid: [number, number]; heat: number[]; path: string }[];
  index: { photos: number; seconds: number };
  seconds: Record<string, number>;
  cpuSeconds: number;
}

const now = () => performance.now();
const b64 = (a: Float32Array | Uint16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const fromB64F32 = (s: string) => { const b = Buffer.from(s, 'base64'); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };
const fromB64F16 = (s: string) => { const b = Buffer.from(s, 'base64'); return new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };

function machine() {
  const c = cpus();
  let ort = 'unknown';
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    ort = JSON.parse(readFileSync(join(here, '../node_modules/onnxruntime-node/package.json'), 'utf8')).version;
  } catch { /* reported as unknown */ }
  return {
    cpu: c[0]?.model ?? 'unknown', logicalCores: c.length, memoryGiB: round(totalmem() / 2 ** 30, 1),
    platform: `${platform()} ${release()}`, node: process.version, onnxruntimeNode: ort,
  };
}

export function readTestSet(dir: string): TestSet {
  const t = JSON.parse(readFileSync(join(dir, 'testset.json'), 'utf8')) as TestSet;
  if (t.format !== 'fwd2bot-testset') throw new Error(`${join(dir, 'testset.json')} is not a test set written by \`python -m fwd2bot.testset\``);
  return t;
}

function sizes(ts: TestSet, o: EvaluateOptions) {
  const nGen = Math.min(o.scenes ?? ts.items.length, ts.items.length);
  const nRet = Math.min(o.retrievalScenes ?? nGen, ts.items.length);
  return { nGen, nRet, nAll: Math.max(nGen, nRet) };
}

/** One worker: every `count`-th scene from `index`. Returns its outputs, and the engine when `keep` (for perf). */
async function runShard(o: EvaluateOptions, shard: [number, number], keep: boolean): Promise<{ out: ShardOutput; engine?: Engine; pixels0?: Float32Array }> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const ts = readTestSet(o.testset);
  const { nGen, nRet, nAll } = sizes(ts, o);
  const [mine, of] = shard;
  const t00 = now();
  const cpu0 = process.cpuUsage();
  const engine = await Engine.load(createNodeBackend({ threads: o.threads ?? ((o.workers ?? 1) > 1 ? 1 : 2) }), folderSource(o.model));
  const info = engine.info;
  const tag = of > 1 ? `[worker ${mine + 1}/${of}] ` : '';
  if (mine === 0) log(`${tag}model ${info.name} (${info.modelId}), K=${info.K}, d=${info.d}, loaded in ${info.loadMs.toFixed(0)} ms`);
  const wanted = o.ks ?? [16, 8, 4, 1];
  const ks = wanted.filter((k) => info.tokenCounts.includes(k));
  const skippedKs = wanted.filter((k) => !info.tokenCounts.includes(k));
  if (skippedKs.length && mine === 0) log(`K' = ${skippedKs.join(', ')} left out: this model answers from K' in {${info.tokenCounts.join(', ')}}`);
  const gen = ts.generation;
  const out: ShardOutput = {
    shard, ks, skippedKs, gen: [], ret: [], maps: [], index: { photos: 0, seconds: 0 }, seconds: {}, cpuSeconds: 0,
    model: {
      modelId: info.modelId, name: info.name, K: info.K, d: info.d, V: engine.model.manifest.architecture.vision.numVisionTokens,
      tokenCounts: info.tokenCounts, quantization: info.quantization, decoderPath: info.decoderPath ?? 'ort',
    },
  };
  let pixels0: Float32Array | undefined;
  try {
    const nMap = engine.model.manifest.graphs.layers ? Math.min(o.mapScenes ?? 4, nAll) : 0;
    const scenes = Array.from({ length: nAll }, (_, i) => i).filter((i) => i % of === mine);
    const tGen = now();
    let done = 0;
    for (const i of scenes) {
      const it = ts.items[i];
      // pass 1, as indexing does
      const t0 = now();
      const png = decodePng(new Uint8Array(readFileSync(join(o.testset, it.image))), it.image);
      const pixels = preprocessImage(png, engine.model.manifest.preprocessing, png.orientation);
      const c = await engine.compressPixels(pixels);
      out.index.seconds += (now() - t0) / 1000;
      out.index.photos++;
      pixels0 ??= pixels;
      if (i < nMap) {
        const m = await engine.attentionMapPixels(pixels);
        out.maps.push({ scene: it.index, grid: m.grid, heat: Array.from(m.heat), path: m.path });
      }
      const tokens = { modelId: info.modelId, K: info.K, d: info.d, data: c.tokens }; // (K, d) fp16, as stored
      if (i < nGen) {
        const rec = { scene: i, answers: {} as Record<string, string[]>, captions: {} as Record<string, string> };
        for (const k of ks) {
          const row: string[] = [];
          for (const q of it.questions) {
            const chat = engine.openChat(tokens, { kPrime: k });
            try {
              row.push((await chat.answer(q.question, { maxTokens: gen.vqaMaxTokens })).text);
            } finally {
              chat.dispose();
            }
          }
          rec.answers[k] = row;
          rec.captions[k] = (await engine.caption(tokens, { kPrime: k, maxTokens: gen.captionMaxTokens })).text;
        }
        out.gen.push(rec);
      }
      if (i < nRet) {
        const negatives: Record<string, string> = {};
        for (const [type, neg] of Object.entries(it.hardNegatives)) negatives[type] = b64(await engine.embedText(neg));
        out.ret.push({ scene: i, image: b64(f32ArrayToF16(c.embedding)), caption: b64(await engine.embedText(it.caption)), negatives });
      }
      done++;
      if (done % 25 === 0 || done === scenes.length) {
        const el = (now() - tGen) / 1000;
        log(`${tag}${done}/${scenes.length} scenes, ${el.toFixed(0)} s (${(el / done).toFixed(2)} s per scene)`);
      }
    }
    out.seconds.scenes = (now() - tGen) / 1000;
    out.seconds.total = (now() - t00) / 1000;
    const cpu = process.cpuUsage(cpu0);
    out.cpuSeconds = (cpu.user + cpu.system) / 1e6; // every thread of this process
    if (keep) return { out, engine, pixels0 };
    await engine.release();
    return { out };
  } catch (e) {
    await engine.release();
    throw e;
  }
}

/** The metrics of evaluate.py from every worker's items, in scene order. */
async function summarise(ts: TestSet, parts: ShardOutput[]) {
  const { ks } = parts[0];
  const gen = parts.flatMap((p) => p.gen).sort((a, b) => a.scene - b.scene);
  const ret = parts.flatMap((p) => p.ret).sort((a, b) => a.scene - b.scene);
  const results: Record<string, unknown> = {};
  const items: Record<string, { answers: string[][]; captions: string[] }> = {};
  for (const k of ks) {
    const vqa = new VqaScore(ts.questionTypes);
    const caps = new CaptionScore();
    const examples: { scene: number; q: string; gold: string; pred: string }[] = [];
    for (const g of gen) {
      const it = ts.items[g.scene];
      it.questions.forEach((q, j) => {
        const pred = g.answers[k][j];
        vqa.add(q.type, pred, q.answer);
        if (examples.length < 12 && it.index % 7 === 0) examples.push({ scene: it.index, q: q.question, gold: q.answer, pred });
      });
      caps.add(it.facts, g.captions[k], ts.captionFactPatterns);
    }
    results[`fwd2bot_k${k}`] = { ...vqa.result(), ...caps.result(), examples };
    items[`fwd2bot_k${k}`] = { answers: gen.map((g) => g.answers[k]), captions: gen.map((g) => g.captions[k]) };
  }
  if (ret.length) {
    const { d, modelId } = parts[0].model;
    const n = ret.length;
    const ids = ret.map((r) => String(r.scene));
    const imageEmb = new Uint16Array(n * d); // (n, d) fp16, what the library stores
    ret.forEach((r, i) => imageEmb.set(fromB64F16(r.image), i * d));
    const capEmb = ret.map((r) => fromB64F32(r.caption)); // (d,) fp32 each
    const gallery = new Gallery({ modelId, d, photoIds: ids, data: imageEmb });
    const capGallery = new Gallery({ modelId, d, photoIds: ids, data: f32ArrayToF16(concat(capEmb)) });
    const imgRows = f16ArrayToF32(imageEmb);
    const top = Math.min(10, n);
    const t2i: number[] = [], i2t: number[] = [];
    const wins: Record<string, number[]> = {};
    for (let i = 0; i < n; i++) {
      const ev = imgRows.subarray(i * d, (i + 1) * d);
      t2i.push(rankIn(await searchGallery(gallery, capEmb[i], top), ids[i])); // the engine's search scan
      i2t.push(rankIn(await searchGallery(capGallery, ev, top), ids[i]));
      const pos = dot(ev, capEmb[i]);
      for (const [type, neg] of Object.entries(ret[i].negatives)) (wins[type] ??= []).push(Number(pos > dot(ev, fromB64F32(neg))));
    }
    const hard: Record<string, number> = {};
    for (const t of ts.negativeTypes) if (wins[t]?.length) hard[t] = wins[t].reduce((a, b) => a + b, 0) / wins[t].length;
    const hv = Object.values(hard);
    results.fwd2bot_retrieval = {
      t2i: recallAt(t2i), i2t: recallAt(i2t), hard_negative: hard,
      hard_negative_mean: hv.length ? hv.reduce((a, b) => a + b, 0) / hv.length : null,
    };
  }
  return { results, items };
}

function concat(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
  let at = 0;
  for (const r of rows) { out.set(r, at); at += r.length; }
  return out;
}

/** Worker 2..N as child processes of this script (each writes its ShardOutput to a temporary file). */
function spawnWorker(o: EvaluateOptions, shard: [number, number], file: string): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const tsx = join(here, '../node_modules/tsx/dist/cli.mjs');
  const args = [tsx, join(here, 'evaluate.ts'), '--testset', o.testset, '--model', o.model, '--shard', `${shard[0]}/${shard[1]}`,
    '--shard-out', file, '--ks', (o.ks ?? [16, 8, 4, 1]).join(','), '--threads', String(o.threads ?? 1), '--map-scenes', String(o.mapScenes ?? 4),
    ...(o.scenes !== undefined ? ['--scenes', String(o.scenes)] : []), ...(o.retrievalScenes !== undefined ? ['--retrieval-scenes', String(o.retrievalScenes)] : [])];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`evaluation worker ${shard[0] + 1}/${shard[1]} exited with ${code}`))));
  });
}

/** Runs the whole evaluation; returns the JSON document cli/evaluate.ts writes. */
export async function evaluate(o: EvaluateOptions) {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const ts = readTestSet(o.testset);
  const { nGen, nRet } = sizes(ts, o);
  const workers = Math.max(1, Math.min(o.workers ?? 1, nGen + nRet));
  const t00 = now();
  const files = Array.from({ length: workers - 1 }, (_, i) => join(tmpdir(), `fwd2bot-eval-${process.pid}-${i + 1}.json`));
  const children = files.map((f, i) => spawnWorker(o, [i + 1, workers], f));
  children.forEach((c) => c.catch(() => undefined)); // awaited below; no unhandled rejection meanwhile
  let engine: Engine | undefined;
  try {
    const first = await runShard(o, [0, workers], true);
    engine = first.engine!;
    await Promise.all(children);
    const parts = [first.out, ...files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as ShardOutput)];
    const t1 = now();
    const { results, items } = await summarise(ts, parts);
    log(`scored ${nGen} scenes (VQA, captions) and ${nRet} (retrieval) with ${workers} worker${workers > 1 ? 's' : ''}`);
    // speed, same model, same machine, same run (the other workers have finished)
    let perf: Record<string, unknown> | null = null;
    const index = parts.reduce((s, p) => ({ photos: s.photos + p.index.photos, seconds: s.seconds + p.index.seconds }), { photos: 0, seconds: 0 });
    const t2 = now();
    if ((o.perf ?? true) && first.pixels0) {
      perf = {
        note: 'onnxruntime-node CPU, one process; medians; comparisons alternate within each repetition (bench/engineBench.ts)',
        threads: o.threads ?? (workers > 1 ? 1 : 2),
        ttft: await measureTtft(engine, first.pixels0, 'how many objects are there ?', 9),
        decode: await measureDecode(engine, first.pixels0, 3, 64),
        search: await measureSearch(engine, [1_000, 10_000, 100_000], 5, []),
        indexing: { photos: index.photos, seconds: round(index.seconds, 3), photosPerSecond: round(index.photos / Math.max(index.seconds, 1e-9)),
          what: 'PNG decode + box resize + vision.onnx + pass 1 + embedding, one photo at a time, in the evaluation loop' },
      };
    }
    const seconds: Record<string, number> = {
      scenes: Math.max(...parts.map((p) => p.seconds.scenes)), summarise: (t2 - t1) / 1000, perf: (now() - t2) / 1000,
      total: (now() - t00) / 1000, cpu: parts.reduce((s, p) => s + p.cpuSeconds, 0),
    };
    return {
      format: 'fwd2bot-eval-ts', version: 1, engine: 'typescript engine core on onnxruntime-node (cli/ortNode.ts)',
      measuredAt: new Date().toISOString(), machine: machine(), threads: o.threads ?? (workers > 1 ? 1 : 2), workers,
      model: { dir: o.model, ...parts[0].model }, storedTokens: 'fp16 (K, d), as the library stores them', split: ts.split,
      scenes: nGen, retrieval_scenes: nRet, ks: parts[0].ks, skippedKs: parts[0].skippedKs, generation: ts.generation,
      results, items, perf, seconds,
      attentionMaps: {
        what: 'pass-1 attention of the summary tokens over the patches: mean over summary tokens, heads and layers (Engine.attentionMapPixels)',
        maps: parts.flatMap((p) => p.maps).sort((a, b) => a.scene - b.scene),
      },
    };
  } finally {
    await engine?.release();
    for (const f of files) rmSync(f, { force: true });
  }
}

function booleanOpt(a: Args, name: string, fallback: boolean): boolean {
  const v = stringOpt(a, name, String(fallback)).toLowerCase();
  if (!['true', 'false', '1', '0', 'yes', 'no'].includes(v)) throw new UsageError(`--${name} ${v}: say true or false`);
  return ['true', '1', 'yes'].includes(v);
}

const USAGE = `usage: npx tsx cli/evaluate.ts --testset <dir> [--model public/models/default] [--out eval-ts.json]
  [--scenes N] [--retrieval-scenes N] [--ks 16,8,4,1] [--workers 1] [--threads 2] [--perf true|false] [--map-scenes 4]`;

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const a = parseArgs(argv);
    onlyOptions(a, ['testset', 'model', 'out', 'scenes', 'retrieval-scenes', 'ks', 'threads', 'workers', 'perf', 'map-scenes', 'shard', 'shard-out']);
    if (a.positional.length) throw new UsageError(`unexpected argument "${a.positional[0]}"`);
    const testset = stringOpt(a, 'testset', '');
    if (!testset) throw new UsageError('--testset <dir> is required (write one with `python -m fwd2bot.testset --out <dir>`)');
    const pos = (n: number) => Number.isInteger(n) && n >= 1;
    const ks = stringOpt(a, 'ks', '16,8,4,1').split(',').map(Number);
    if (!ks.every(pos)) throw new UsageError(`--ks ${stringOpt(a, 'ks', '')} is not a list of positive integers`);
    const o: EvaluateOptions = {
      testset, model: stringOpt(a, 'model', 'public/models/default'), ks,
      scenes: a.options.has('scenes') ? numberOpt(a, 'scenes', 0, pos) : undefined,
      retrievalScenes: a.options.has('retrieval-scenes') ? numberOpt(a, 'retrieval-scenes', 0, pos) : undefined,
      threads: a.options.has('threads') ? numberOpt(a, 'threads', 2, pos) : undefined,
      workers: numberOpt(a, 'workers', 1, pos), perf: booleanOpt(a, 'perf', true),
      mapScenes: numberOpt(a, 'map-scenes', 4, (n) => Number.isInteger(n) && n >= 0),
    };
    if (a.options.has('shard')) { // a worker started by evaluate(): its items only
      const [i, n] = stringOpt(a, 'shard', '').split('/').map(Number);
      if (!(Number.isInteger(i) && Number.isInteger(n) && i >= 0 && i < n)) throw new UsageError('--shard i/n');
      const { out } = await runShard(o, [i, n], false);
      writeFileSync(stringOpt(a, 'shard-out', 'shard.json'), JSON.stringify(out));
      return 0;
    }
    const doc = await evaluate(o);
    const out = stringOpt(a, 'out', 'eval-ts.json');
    writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
    process.stderr.write(`wrote ${out} (${doc.seconds.total.toFixed(1)} s, ${doc.seconds.cpu.toFixed(1)} s CPU)\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`evaluate: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`evaluate: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}\n`);
    const hint = hintOf(e);
    if (hint) process.stderr.write(`  what to do: ${hint}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
