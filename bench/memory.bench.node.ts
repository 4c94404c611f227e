// Memory of per-stage LoRA on onnxruntime-node (issue #4): the base weights are loaded once, both adapters
// are bound once as decoder inputs, and alternating pass 1 (compress adapter) and pass 2 (generate adapter)
// loads and duplicates nothing. onnxruntime-node allocates natively, so process RSS is what counts;
// process.memoryUsage().arrayBuffers shows the JS-side tensors (the adapters are CPU tensors in Node).
//
// In one process, each phase after a forced GC:
//   runtime    ORT started (one tiny session created and released), nothing of the model loaded: "before"
//   loaded     Engine.load of the model (sessions + both adapters bound; the package bytes dropped). Off WebGPU
//              the per-layer graphs' sessions are not created at load (only attention maps need them there)
//   warm       after one pass 1 and one pass 2 (ORT's first-run allocations)
//   alternated after N alternations of pass 1 (compress a sample photo) and pass 2 (a chat answer from its tokens)
//   layersAttached  after the first attention map, which creates the per-layer sessions
// and two controls in the same run:
//   secondInstance  a second Engine.load of the same package (warmed the same way): what reloading the base per
//                   stage would cost, i.e. the duplication that binding LoRA inputs avoids
//   perGraph        in a fresh process (--per-graph), each graph's session created alone and kept: its RSS delta
//                   vs its file bytes (a graph's shared weights, decoder_weights.bin, counted with the graph)
// Writes bench/results/memory.json. Run: nice -n 10 npx tsx bench/memory.bench.node.ts  (or `npm run bench memory`)

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { folderSource } from '../cli/nodeSource';
import { createNodeBackend } from '../cli/ortNode';
import { decodePng } from '../cli/png';
import type { BackendSession } from '../src/engine/core/backend';
import { Engine } from '../src/engine/core/engine';
import { preprocessImage } from '../src/model/image';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dir = existsSync('public/models/default/manifest.json') ? 'public/models/default' : 'test/fixtures/tiny-package';
const threads = Number(process.env.FWD2BOT_THREADS ?? 2);
const N = Number(process.env.FWD2BOT_ALTERNATIONS ?? 200);
const QUESTION = 'how many objects are there ?';
const MiB = 2 ** 20;
const mib = (b: number) => Math.round((b / MiB) * 100) / 100;

interface Mem { rss: number; external: number; arrayBuffers: number; heapUsed: number }
async function settle(): Promise<Mem> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 30)); }
  const u = process.memoryUsage();
  return { rss: u.rss, external: u.external, arrayBuffers: u.arrayBuffers, heapUsed: u.heapUsed };
}
const inMiB = (m: Mem) => ({ rss: mib(m.rss), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers), heapUsed: mib(m.heapUsed) });

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const fileBytes = new Map<string, number>(manifest.files.map((f: { path: string; bytes: number }) => [f.path, f.bytes]));
const bytesOf = (paths: readonly string[]) => paths.reduce((s, p) => s + (fileBytes.get(p) ?? 0), 0);
const g = manifest.graphs;
const baseGraphs: string[] = [g.vision.file, g.embed.file, g.decoder.file];
const layerGraphs: string[] = g.layers ? [...g.layers.pre, ...g.layers.post, g.layers.final] : [];
/** The decoder weights' external-data file (format 2), shared by decoder.onnx and the per-layer graphs. */
const sharedWeights: string | undefined = g.decoder.externalData;
const adapterFiles: Record<string, string> = Object.fromEntries(Object.entries(manifest.tensors.lora as Record<string, { file: string }>).map(([k, v]) => [k, v.file]));
const samples: string[] = manifest.files.map((f: { path: string }) => f.path).filter((p: string) => p.startsWith('samples/'));
const pngs = samples.map((s) => decodePng(new Uint8Array(readFileSync(join(dir, s))), s));

const backend = createNodeBackend({ threads });
const phases: Record<string, ReturnType<typeof inMiB>> = {};
const progress = (what: string) => process.stderr.write(`memory bench: ${what}\n`);

// ORT's environment and thread pools start with the first session: start them on a tiny graph so that
// "before" holds the runtime and "loaded" only the model.
const tiny = await backend.createSession(new Uint8Array(readFileSync('test/fixtures/tiny-package/embed_tokens.onnx')), { name: 'tiny' });
await tiny.release();

if (process.argv.includes('--per-graph')) {
  // Every graph's file bytes are read first (they stay referenced), then each session is created and kept.
  const bytes = new Map([...baseGraphs, ...layerGraphs].map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
  const weights = sharedWeights ? new Uint8Array(readFileSync(join(dir, sharedWeights))) : undefined;
  const externalOf = (f: string) => {
    const ext = f === g.decoder.file ? g.decoder.externalData : layerGraphs.includes(f) ? g.layers?.externalData : undefined;
    return ext && weights ? [{ path: ext, data: weights }] : undefined;
  };
  const held: BackendSession[] = [];
  const out: Record<string, { fileBytes: number; externalBytes: number; rssDeltaBytes: number }> = {};
  let prev = await settle();
  for (const [f, b] of bytes) {
    held.push(await backend.createSession(b, { name: f, externalData: externalOf(f) }));
    const now = await settle();
    out[f] = { fileBytes: b.length, externalBytes: externalOf(f) ? weights!.length : 0, rssDeltaBytes: now.rss - prev.rss };
    prev = now;
  }
  await Promise.all(held.map((s) => s.release()));
  console.log(JSON.stringify(out));
  process.exit(0);
}

const before = await settle();
phases.runtime = inMiB(before);

progress(`${dir}: before ${mib(before.rss)} MiB RSS`);
const a = await Engine.load(backend, folderSource(dir));
const loaded = await settle();
phases.loaded = inMiB(loaded);

const pixelsOf = (i: number) => preprocessImage(pngs[i % pngs.length], a.model.manifest.preprocessing, pngs[i % pngs.length].orientation);
async function alternate(e: Engine, i: number): Promise<void> {
  const c = await e.compressPixels(pixelsOf(i)); // pass 1: compress adapter
  const chat = e.openChat({ modelId: c.modelId, K: c.K, d: c.d, data: c.tokens });
  try {
    await chat.answer(QUESTION, { maxTokens: 4 }); // pass 2: generate adapter
  } finally {
    chat.dispose();
  }
}

// The adapters as bound: distinct tensors per pass, their bytes in JS memory (CPU tensors on Node).
const adapterTensorBytes: Record<string, number> = {};
for (const pass of ['compress', 'generate'] as const) {
  adapterTensorBytes[pass] = Object.values(a.model.adapters[pass]).reduce((s, t) => s + (t as unknown as { data: Float32Array }).data.byteLength, 0);
}
const shared = Object.values(a.model.adapters.compress).filter((t) => Object.values(a.model.adapters.generate).includes(t)).length;

await alternate(a, 0);
const warm = await settle();
phases.warm = inMiB(warm);

const series: { alternations: number; rssMiB: number }[] = [{ alternations: 0, rssMiB: mib(warm.rss) }];
const t0 = performance.now();
for (let i = 1; i <= N; i++) {
  await alternate(a, i);
  if (i % 10 === 0 || i === N) {
    series.push({ alternations: i, rssMiB: mib((await settle()).rss) });
    progress(`${i}/${N} alternations, RSS ${series.at(-1)!.rssMiB} MiB`);
  }
}
const alternateMs = performance.now() - t0;
const alternated = await settle();
phases.alternated = inMiB(alternated);

// The per-layer sessions, created by the first attention map (a second copy of the decoder weights in ORT).
const layersBefore = a.layersLoaded;
await a.attentionMapPixels(pixelsOf(0));
const layersAttached = await settle();
phases.layersAttached = inMiB(layersAttached);

// Control 1: a second instance of the whole model (what a separate base per stage would add).
const b = await Engine.load(backend, folderSource(dir));
await alternate(b, 0);
const second = await settle();
phases.secondInstance = inMiB(second);
await b.release();

// Control 2: each graph's session alone, in a fresh process (see perGraphSessions below).
await a.release();
const child = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', fileURLToPath(import.meta.url), '--per-graph'], { encoding: 'utf8', env: process.env });
if (child.status !== 0) throw new Error(`the per-graph child failed: ${child.stderr}`);
const perGraph = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, { fileBytes: number; rssDeltaBytes: number }>;


const sumDelta = (files: readonly string[]) => files.reduce((s, f) => s + perGraph[f].rssDeltaBytes, 0);
const adapterBytes = Object.fromEntries(Object.entries(adapterFiles).map(([k, f]) => [k, fileBytes.get(f) ?? 0]));
const twoAdapters = Object.values(adapterBytes).reduce((s, x) => s + x, 0);
const weightBytes = sharedWeights ? bytesOf([sharedWeights]) : 0;
const baseBytes = bytesOf(baseGraphs) + weightBytes, layerBytes = bytesOf(layerGraphs);
const loadGrowth = loaded.rss - before.rss;
const warmGrowth = warm.rss - before.rss;
const results = {
  area: 'memory', measuredAt: new Date().toISOString(), node: process.version, model: dir, threads, alternations: N,
  note: 'onnxruntime-node CPU, one process, each phase after a forced GC. RSS in MiB; deltas in bytes. 2 CPU cores (run with no other jobs): timings are noisy, memory is not.',
  files: {
    baseGraphs: Object.fromEntries(baseGraphs.map((f) => [f, fileBytes.get(f)])), baseGraphBytes: baseBytes,
    sharedWeights: sharedWeights ?? null, sharedWeightBytes: weightBytes, layerGraphBytes: layerBytes, adapterBytes, adapterTensorBytes, adapterTensorsSharedBetweenPasses: shared,
  },
  phases,
  growth: {
    loadBytes: loadGrowth,
    warmBytes: warmGrowth,
    /** RSS after N alternations minus RSS after the first one: what switching stages costs. */
    switchingBytes: alternated.rss - warm.rss,
    switchingArrayBuffersBytes: alternated.arrayBuffers - warm.arrayBuffers,
    /** The second instance, warmed: one more copy of base + adapters + sessions. */
    secondInstanceBytes: second.rss - layersAttached.rss,
  },
  ratio: {
    what: '(RSS after load - before) / (bytes of what the load read into sessions: vision + embed + decoder graphs, the shared decoder weights, both adapters)',
    loaded: Math.round((loadGrowth / (baseBytes + twoAdapters)) * 100) / 100,
    warm: Math.round((warmGrowth / (baseBytes + twoAdapters)) * 100) / 100,
  },
  perGraph: {
    sessions: perGraph,
    baseRssDeltaBytes: sumDelta(baseGraphs),
    layerRssDeltaBytes: sumDelta(layerGraphs),
    decoderRssDeltaBytes: perGraph[g.decoder.file].rssDeltaBytes,
  },
  layerSessions: {
    what: 'the per-layer sessions (attention maps; on WebGPU also the kernel decoder): not created by Engine.load off WebGPU, created by the first attention map',
    createdAtLoad: layersBefore,
    rssDeltaBytes: layersAttached.rss - alternated.rss,
  },
  series,
  alternationMs: Math.round(alternateMs / N),
};
writeFileSync('bench/results/memory.json', JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
