// Per-stage LoRA on onnxruntime-node, default model (issue #4): the adapters are bound once at load and every
// decoder run of a pass gets that pass's bound tensors, the very same objects each time, so switching between
// pass 1 (compress) and pass 2 (generate) uploads, copies and loads nothing; and 50 switches leave RSS far
// below one more copy of the base weights. The numbers themselves are in bench/memory.bench.node.ts.
import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { folderSource } from '../../../cli/nodeSource';
import { createNodeBackend } from '../../../cli/ortNode';
import { decodePng } from '../../../cli/png';
import type { BackendSession, BackendTensor, InferenceBackend, NamedBackendTensors } from '../../../src/engine/core/backend';
import { Engine } from '../../../src/engine/core/engine';
import type { Pass } from '../../../src/engine/core/model';
import { preprocessImage } from '../../../src/model/image';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dir = fileURLToPath(new URL('../../../public/models/default/', import.meta.url));
if (!existsSync(`${dir}manifest.json`)) throw new Error('The default model package is missing at public/models/default (see goldenDefault.test.ts for the command that rebuilds it).');
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8'));
const fileBytes = new Map<string, number>(manifest.files.map((f: { path: string; bytes: number }) => [f.path, f.bytes]));
const DECODER: string = manifest.graphs.decoder.file;

/** The Node backend, recording every constant() and the LoRA feeds of every decoder.onnx run. */
function spyBackend(inner: InferenceBackend) {
  const log = { constants: 0, layerSessions: 0, decoderLora: [] as NamedBackendTensors[] };
  const backend: InferenceBackend = {
    kind: inner.kind,
    fallbackReason: inner.fallbackReason,
    float32: (d, dims) => inner.float32(d, dims),
    int64: (d, dims) => inner.int64(d, dims),
    async createSession(bytes, o): Promise<BackendSession> {
      const s = await inner.createSession(bytes, o);
      if (o.name.startsWith('layers/')) log.layerSessions++;
      return {
        name: s.name, device: s.device, fallbackReason: s.fallbackReason, inputNames: s.inputNames, outputNames: s.outputNames,
        run(feeds, fetches) {
          if (o.name === DECODER) log.decoderLora.push(Object.fromEntries(Object.entries(feeds).filter(([n]) => n.startsWith('lora.'))));
          return s.run(feeds, fetches);
        },
        constant(data, dims) {
          log.constants++;
          return s.constant(data, dims);
        },
        release: () => s.release(),
      };
    },
  };
  return { backend, log };
}

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 30)); }
  return process.memoryUsage().rss;
}

let engine: Engine;
let log: ReturnType<typeof spyBackend>['log'];
const pngs = manifest.files.map((f: { path: string }) => f.path).filter((p: string) => p.startsWith('samples/'))
  .map((p: string) => decodePng(new Uint8Array(readFileSync(`${dir}${p}`)), p));
const pixelsOf = (i: number) => preprocessImage(pngs[i % pngs.length], engine.model.manifest.preprocessing, pngs[i % pngs.length].orientation);

/** Decoder runs since `from` all fed `pass`'s bound adapter tensors (the same objects), and at least one ran. */
function expectBound(from: number, pass: Pass): void {
  const runs = log.decoderLora.slice(from);
  expect(runs.length).toBeGreaterThan(0);
  const bound = engine.model.adapters[pass];
  const names = Object.keys(bound);
  for (const feeds of runs) {
    expect(Object.keys(feeds).sort()).toEqual([...names].sort());
    for (const n of names) if (feeds[n] !== bound[n]) expect.fail(`${pass} run fed ${n} as a new tensor, not the one bound at load`);
  }
}

/** One pass 1 (compress a sample) then one pass 2 (a short answer from its tokens), checking the adapters each fed. */
async function alternate(i: number): Promise<void> {
  let at = log.decoderLora.length;
  const c = await engine.compressPixels(pixelsOf(i));
  expectBound(at, 'compress');
  at = log.decoderLora.length;
  const chat = engine.openChat({ modelId: c.modelId, K: c.K, d: c.d, data: c.tokens });
  try {
    await chat.answer('how many objects are there ?', { maxTokens: 4 });
  } finally {
    chat.dispose();
  }
  expectBound(at, 'generate');
}

beforeAll(async () => {
  const spy = spyBackend(createNodeBackend());
  log = spy.log;
  engine = await Engine.load(spy.backend, folderSource(dir));
}, 300_000);
afterAll(() => engine?.release());

test('both adapters are bound once at load: distinct per stage, shared with the per-layer graphs, not copies', () => {
  const { compress, generate } = engine.model.adapters;
  const names = Object.keys(compress);
  expect(names.length).toBe(manifest.architecture.decoder.layers * 7 * 2); // A and B of q,k,v,o,gate,up,down per layer
  expect(Object.keys(generate).sort()).toEqual([...names].sort());
  expect(log.constants).toBe(2 * names.length); // one constant per factor and stage, nothing else
  for (const n of names) expect(compress[n]).not.toBe(generate[n]); // two stages, two adapters
  const bytes = (a: Record<string, BackendTensor>) => Object.values(a).reduce((s, t) => s + numel(t.dims) * 4, 0);
  expect(bytes(compress)).toBe(fileBytes.get(manifest.tensors.lora.compress.file));
  expect(bytes(generate)).toBe(fileBytes.get(manifest.tensors.lora.generate.file));
  // Off WebGPU the per-layer graphs (a second copy of the decoder weights in ORT) are not created at load.
  expect(engine.model.layers).toBeUndefined();
  expect(engine.layersLoaded).toBe(false);
});

test('the first attention map creates the per-layer sessions once, fed the adapters bound at load', async () => {
  const constants = log.constants;
  const [a, b] = await Promise.all([engine.attentionMapPixels(pixelsOf(0)), engine.attentionMapPixels(pixelsOf(1))]);
  expect(a.path).toBe('cpu');
  expect(a.heat.some((x) => x > 0) && b.heat.some((x) => x > 0)).toBe(true);
  const layers = engine.model.layers!;
  expect(layers.pre).toHaveLength(manifest.architecture.decoder.layers);
  expect(log.layerSessions).toBe(2 * manifest.architecture.decoder.layers + 1); // two concurrent maps, one load
  expect(log.constants).toBe(constants); // nothing uploaded or copied: the layer graphs take the same tensors
  for (const pass of ['compress', 'generate'] as const) {
    for (const feeds of [...layers.feeds[pass].pre, ...layers.feeds[pass].post]) {
      for (const [n, t] of Object.entries(feeds)) expect(t).toBe(engine.model.adapters[pass][n]);
    }
  }
  await engine.attentionMapPixels(pixelsOf(2));
  expect(log.layerSessions).toBe(2 * manifest.architecture.decoder.layers + 1);
}, 300_000);

test('50 alternations of pass 1 and pass 2 feed the same bound tensors each time and grow RSS by less than one base copy', async () => {
  // Warm-up: ORT's first-run allocations and its arena growing to the shapes of both passes (the bench's RSS
  // series flattens after ~10 alternations); the bench, not this test, reports the numbers.
  for (let i = 0; i < 20; i++) await alternate(i);
  const constantsBefore = log.constants;
  const before = await settledRss();
  for (let i = 1; i <= 50; i++) await alternate(i);
  const growth = (await settledRss()) - before;
  expect(log.constants).toBe(constantsBefore); // no adapter was re-uploaded or re-created
  // Generous bound: one more copy of the base graphs' weights and both adapters (file bytes, ~11 MiB). Reloading
  // the base per stage would add far more (a second instance costs ~37 MiB RSS, bench/results/memory.json), and
  // re-binding the adapters per switch 50 x 3.4 MiB.
  const files = [manifest.graphs.vision.file, manifest.graphs.embed.file, DECODER, manifest.graphs.decoder.externalData,
    manifest.tensors.lora.compress.file, manifest.tensors.lora.generate.file].filter((f) => f !== undefined);
  const bound = files.reduce((s, f) => s + fileBytes.get(f)!, 0);
  expect(growth, `RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB over 50 alternations`).toBeLessThan(bound);
}, 600_000);

function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
