#!/usr/bin/env -S npx tsx
// The held-out evaluation through the deployed graphs: the TypeScript engine on onnxruntime-node scores a
// test set written by `python -m fwd2bot.testset` with the metrics of python/fwd2bot/evaluate.py, so its
// numbers sit beside PyTorch's (docs/REPRODUCTION.md, `node scripts/reproduce.mjs`).
//
//   npx tsx cli/evaluate.ts --testset <dir> [--model public/models/default] [--out eval-ts.json]
//                           [--scenes 500] [--retrieval-scenes 500] [--ks 16,8,4,1] [--threads 2] [--perf true]
//                           [--map-scenes 4]
//
// Every photo goes through what the app does: PNG decode, box resize, vision.onnx, pass 1; its tokens are kept
// as the library keeps them (fp16) and every answer, caption and search starts from those:
//   VQA / captions  engine.openChat(stored tokens, { kPrime: K' }) greedy, maxTokens as evaluate.py decodes
//   retrieval       fp16 image embeddings in a Gallery; caption queries through engine.embedText and the
//                   engine's search scan (text -> image), image embeddings against a caption Gallery (image -> text)
//   hard negatives  cosine of the stored image embedding with the true caption vs with each negative
// With --perf (default true) it also measures, on the same model and machine in the same run, time to first
// token from stored tokens vs from all V vision tokens, decoding speed and search latency vs library size
// (bench/engineBench.ts, the benchmarks' own code), and indexing throughput from the evaluation loop itself.

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureDecode, measureSearch, measureTtft, round } from '../bench/engineBench';
import { Engine } from '../src/engine/core/engine';
import { Gallery, searchGallery } from '../src/engine/core/search';
import { hintOf } from '../src/engine/errors';
import { preprocessImage } from '../src/model/image';
import { f16ArrayToF32, f32ArrayToF16 } from '../src/shared/fp16';
import { CaptionScore, dot, rankIn, recallAt, VqaScore, type Fact, type FactPatterns } from './evalMetrics';
import { numberOpt, onlyOptions, parseArgs, stringOpt, UsageError } from './args';
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
  threads?: number;
  perf?: boolean;
  /** Scenes whose pass-1 attention map (paper Fig. 4) is kept (default 4; needs the per-layer graphs). */
  mapScenes?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

const now = () => performance.now();

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

/** Runs the whole evaluation; returns the JSON document cli/evaluate.ts writes. */
export async function evaluate(o: EvaluateOptions) {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const ts = readTestSet(o.testset);
  const nGen = Math.min(o.scenes ?? ts.items.length, ts.items.length);
  const nRet = Math.min(o.retrievalScenes ?? nGen, ts.items.length);
  const nAll = Math.max(nGen, nRet);
  const t00 = now();
  const cpu0 = process.cpuUsage();
  const engine = await Engine.load(createNodeBackend({ threads: o.threads ?? 2 }), folderSource(o.model));
  const info = engine.info;
  log(`model ${info.name} (${info.modelId}), K=${info.K}, d=${info.d}, loaded in ${info.loadMs.toFixed(0)} ms`);
  const wanted = o.ks ?? [16, 8, 4, 1];
  const ks = wanted.filter((k) => info.tokenCounts.includes(k));
  const skippedKs = wanted.filter((k) => !info.tokenCounts.includes(k));
  if (skippedKs.length) log(`K' = ${skippedKs.join(', ')} left out: this model answers from K' in {${info.tokenCounts.join(', ')}}`);
  const { patterns, gen } = { patterns: ts.captionFactPatterns, gen: ts.generation };
  try {
    // -- pass 1 for every photo, as indexing does ----------------------------------------------------------
    const stored: Uint16Array[] = []; // (K, d) fp16 per scene
    const imageEmb = new Uint16Array(nRet * info.d); // (nRet, d) fp16, what the library stores
    let pixels0: Float32Array | null = null;
    const nMap = engine.model.layers ? Math.min(o.mapScenes ?? 4, nAll) : 0;
    const maps: { scene: number; grid: [number, number]; heat: number[]; path: string }[] = [];
    const tIndex = now();
    for (let i = 0; i < nAll; i++) {
      const it = ts.items[i];
      const png = decodePng(new Uint8Array(readFileSync(join(o.testset, it.image))), it.image);
      const pixels = preprocessImage(png, engine.model.manifest.preprocessing, png.orientation);
      pixels0 ??= pixels;
      if (i < nMap) {
        const m = await engine.attentionMapPixels(pixels);
        maps.push({ scene: it.index, grid: m.grid, heat: Array.from(m.heat), path: m.path });
      }
      const c = await engine.compressPixels(pixels);
      stored.push(c.tokens);
      if (i < nRet) imageEmb.set(f32ArrayToF16(c.embedding), i * info.d);
    }
    const indexSeconds = (now() - tIndex) / 1000;
    log(`pass 1 on ${nAll} photos: ${indexSeconds.toFixed(1)} s (${(nAll / indexSeconds).toFixed(1)} photos/s)`);

    // -- VQA and captions from the stored tokens, for each K' ----------------------------------------------
    const results: Record<string, unknown> = {};
    const items: Record<string, { answers: string[][]; captions: string[] }> = {};
    const seconds: Record<string, number> = { index: indexSeconds };
    for (const k of ks) {
      const vqa = new VqaScore(ts.questionTypes);
      const caps = new CaptionScore();
      const answers: string[][] = [], captions: string[] = [];
      const examples: { scene: number; q: string; gold: string; pred: string }[] = [];
      const t0 = now();
      for (let i = 0; i < nGen; i++) {
        const it = ts.items[i];
        const tokens = { modelId: info.modelId, K: info.K, d: info.d, data: stored[i] };
        const row: string[] = [];
        for (const q of it.questions) {
          const chat = engine.openChat(tokens, { kPrime: k });
          try {
            const a = await chat.answer(q.question, { maxTokens: gen.vqaMaxTokens });
            vqa.add(q.type, a.text, q.answer);
            row.push(a.text);
            if (examples.length < 12 && i % 7 === 0) examples.push({ scene: it.index, q: q.question, gold: q.answer, pred: a.text });
          } finally {
            chat.dispose();
          }
        }
        answers.push(row);
        const c = await engine.caption(tokens, { kPrime: k, maxTokens: gen.captionMaxTokens });
        caps.add(it.facts, c.text, patterns);
        captions.push(c.text);
        if ((i + 1) % 50 === 0 || i + 1 === nGen) {
          const el = (now() - t0) / 1000;
          log(`K'=${k}: ${i + 1}/${nGen} scenes, ${el.toFixed(0)} s, VQA so far ${(100 * vqa.result().vqa).toFixed(1)}%`);
        }
      }
      seconds[`k${k}`] = (now() - t0) / 1000;
      results[`fwd2bot_k${k}`] = { ...vqa.result(), ...caps.result(), examples };
      items[`fwd2bot_k${k}`] = { answers, captions };
    }

    // -- retrieval and hard negatives through the search path ----------------------------------------------
    const t1 = now();
    const d = info.d;
    const gallery = new Gallery({ modelId: info.modelId, d, photoIds: Array.from({ length: nRet }, (_, i) => String(i)), data: imageEmb });
    const capEmb: Float32Array[] = [];
    for (let i = 0; i < nRet; i++) capEmb.push(await engine.embedText(ts.items[i].caption));
    const top = Math.min(10, nRet);
    const t2iRanks: number[] = [];
    for (let i = 0; i < nRet; i++) t2iRanks.push(rankIn(await searchGallery(gallery, capEmb[i], top), String(i)));
    const capGallery = new Gallery({ modelId: info.modelId, d, photoIds: Array.from({ length: nRet }, (_, i) => String(i)), data: f32ArrayToF16(concat(capEmb)) });
    const imgRows = f16ArrayToF32(imageEmb);
    const i2tRanks: number[] = [];
    for (let i = 0; i < nRet; i++) i2tRanks.push(rankIn(await searchGallery(capGallery, imgRows.subarray(i * d, (i + 1) * d), top), String(i)));
    const wins: Record<string, number[]> = {};
    for (let i = 0; i < nRet; i++) {
      const ev = imgRows.subarray(i * d, (i + 1) * d);
      const pos = dot(ev, capEmb[i]);
      for (const [type, neg] of Object.entries(ts.items[i].hardNegatives)) {
        (wins[type] ??= []).push(Number(pos > dot(ev, await engine.embedText(neg))));
      }
    }
    const hard: Record<string, number> = {};
    for (const t of ts.negativeTypes) if (wins[t]?.length) hard[t] = wins[t].reduce((a, b) => a + b, 0) / wins[t].length;
    const hv = Object.values(hard);
    results.fwd2bot_retrieval = {
      t2i: recallAt(t2iRanks), i2t: recallAt(i2tRanks), hard_negative: hard,
      hard_negative_mean: hv.length ? hv.reduce((a, b) => a + b, 0) / hv.length : null,
    };
    seconds.retrieval = (now() - t1) / 1000;
    log(`retrieval on ${nRet} scenes: ${seconds.retrieval.toFixed(1)} s`);

    // -- speed, same model, same machine, same run -----------------------------------------------------------
    let perf: Record<string, unknown> | null = null;
    if ((o.perf ?? true) && pixels0) {
      const t3 = now();
      perf = {
        note: 'onnxruntime-node CPU; medians; comparisons alternate within each repetition (bench/engineBench.ts)',
        ttft: await measureTtft(engine, pixels0, 'how many objects are there ?', 9),
        decode: await measureDecode(engine, pixels0, 3, 64),
        search: await measureSearch(engine, [1_000, 10_000, 100_000], 5, []),
        indexing: { photos: nAll, seconds: round(indexSeconds, 3), photosPerSecond: round(nAll / indexSeconds), what: 'PNG decode + box resize + vision.onnx + pass 1 + embedding, one photo at a time' },
      };
      seconds.perf = (now() - t3) / 1000;
    }
    seconds.total = (now() - t00) / 1000;
    const cpu = process.cpuUsage(cpu0);
    seconds.cpu = (cpu.user + cpu.system) / 1e6; // all threads of this process: what an idle machine would need, roughly
    const m = engine.model.manifest;
    return {
      format: 'fwd2bot-eval-ts', version: 1, engine: 'typescript engine core on onnxruntime-node (cli/ortNode.ts)',
      measuredAt: new Date().toISOString(), machine: machine(), threads: o.threads ?? 2,
      model: {
        dir: o.model, modelId: info.modelId, name: info.name, K: info.K, d: info.d, V: m.architecture.vision.numVisionTokens,
        tokenCounts: info.tokenCounts, quantization: info.quantization, decoderPath: info.decoderPath ?? 'ort',
      },
      storedTokens: 'fp16 (K, d), as the library stores them', split: ts.split, scenes: nGen, retrieval_scenes: nRet,
      ks, skippedKs, generation: gen, results, items, perf, seconds,
      attentionMaps: { what: 'pass-1 attention of the summary tokens over the patches: mean over summary tokens, heads and layers (Engine.attentionMapPixels)', maps },
    };
  } finally {
    await engine.release();
  }
}

function concat(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
  let at = 0;
  for (const r of rows) { out.set(r, at); at += r.length; }
  return out;
}

function booleanOpt(a: ReturnType<typeof parseArgs>, name: string, fallback: boolean): boolean {
  const v = stringOpt(a, name, String(fallback)).toLowerCase();
  if (!['true', 'false', '1', '0', 'yes', 'no'].includes(v)) throw new UsageError(`--${name} ${v}: say true or false`);
  return ['true', '1', 'yes'].includes(v);
}

const USAGE = `usage: npx tsx cli/evaluate.ts --testset <dir> [--model public/models/default] [--out eval-ts.json]
  [--scenes N] [--retrieval-scenes N] [--ks 16,8,4,1] [--threads 2] [--perf true|false] [--map-scenes 4]`;

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const a = parseArgs(argv);
    onlyOptions(a, ['testset', 'model', 'out', 'scenes', 'retrieval-scenes', 'ks', 'threads', 'perf', 'map-scenes']);
    if (a.positional.length) throw new UsageError(`unexpected argument "${a.positional[0]}"`);
    const testset = stringOpt(a, 'testset', '');
    if (!testset) throw new UsageError('--testset <dir> is required (write one with `python -m fwd2bot.testset --out <dir>`)');
    const pos = (n: number) => Number.isInteger(n) && n >= 1;
    const ks = stringOpt(a, 'ks', '16,8,4,1').split(',').map(Number);
    if (!ks.every(pos)) throw new UsageError(`--ks ${stringOpt(a, 'ks', '')} is not a list of positive integers`);
    const doc = await evaluate({
      testset, model: stringOpt(a, 'model', 'public/models/default'), ks,
      scenes: a.options.has('scenes') ? numberOpt(a, 'scenes', 0, pos) : undefined,
      retrievalScenes: a.options.has('retrieval-scenes') ? numberOpt(a, 'retrieval-scenes', 0, pos) : undefined,
      threads: numberOpt(a, 'threads', 2, pos), perf: booleanOpt(a, 'perf', true),
      mapScenes: numberOpt(a, 'map-scenes', 4, (n) => Number.isInteger(n) && n >= 0),
    });
    const out = stringOpt(a, 'out', 'eval-ts.json');
    writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
    process.stderr.write(`wrote ${out} (${doc.seconds.total.toFixed(1)} s)\n`);
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
