// Off WebGPU the per-layer sessions (a second copy of the decoder weights in ORT) are created by the first
// attention map, from files read again from the package source (docs/MODEL_PACKAGE.md "Per-layer graphs").
// A source whose files changed since load is refused naming the file, the engine keeps working, and the next
// map retries; the map equals the one of an engine that created the sessions at load.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createNodeBackend } from '../../../cli/ortNode';
import { decodePng } from '../../../cli/png';
import type { BackendSession, InferenceBackend } from '../../../src/engine/core/backend';
import { Engine } from '../../../src/engine/core/engine';
import { ModelNotLoadedError } from '../../../src/engine/errors';
import { ModelFormatError } from '../../../src/model/errors';
import { preprocessImage } from '../../../src/model/image';
import { memorySource } from '../../../src/model/package';
import { readPackageFolder } from '../packageFolder';

const dir = fileURLToPath(new URL('../../fixtures/tiny-package/', import.meta.url));

/** The Node backend, counting the sessions created per file and recording each external-data hand-over. */
function countingBackend(inner: InferenceBackend) {
  const created = new Map<string, number>();
  const external: string[] = [];
  const backend: InferenceBackend = {
    kind: inner.kind, fallbackReason: inner.fallbackReason,
    float32: (d, dims) => inner.float32(d, dims), int64: (d, dims) => inner.int64(d, dims),
    async createSession(bytes, o): Promise<BackendSession> {
      created.set(o.name, (created.get(o.name) ?? 0) + 1);
      for (const x of o.externalData ?? []) external.push(`${o.name} <- ${x.path} (${x.data.length} bytes)`);
      return inner.createSession(bytes, o);
    },
  };
  return { backend, created, external };
}

const files = readPackageFolder(dir);
const manifest = JSON.parse(new TextDecoder().decode(files.get('manifest.json')!));
const layerFiles: string[] = [...manifest.graphs.layers.pre, ...manifest.graphs.layers.post, manifest.graphs.layers.final];
const weights: string = manifest.graphs.decoder.externalData;
const png = decodePng(files.get('samples/sample_00.png')!, 'sample_00.png');
let pixels: Float32Array;
let eager: Engine;

beforeAll(async () => {
  eager = await Engine.load(createNodeBackend(), memorySource(files), { decoderPath: 'kernels' }); // creates them at load
  pixels = preprocessImage(png, eager.model.manifest.preprocessing, png.orientation);
});
afterAll(() => eager?.release());

test('the package names one shared weights file, handed to decoder.onnx and every layer graph', async () => {
  expect(weights).toBe('decoder_weights.bin');
  expect(manifest.graphs.layers.externalData).toBe(weights);
  const { backend, external } = countingBackend(createNodeBackend());
  const e = await Engine.load(backend, memorySource(files), { decoderPath: 'kernels' });
  try {
    const size = files.get(weights)!.length;
    expect(external.sort()).toEqual([manifest.graphs.decoder.file, ...layerFiles].map((f) => `${f} <- ${weights} (${size} bytes)`).sort());
  } finally {
    await e.release();
  }
});

test('Engine.load off WebGPU creates no layer sessions; the first attention map does, once, and equals the eager map', async () => {
  const { backend, created } = countingBackend(createNodeBackend());
  const e = await Engine.load(backend, memorySource(files));
  try {
    expect(e.layersLoaded).toBe(false);
    expect(e.info.attentionMaps).toBe('cpu');
    expect(e.info.decoderPath).toBe('ort');
    expect(e.info.decoderPathReason).toMatch(/needs WebGPU.*loaded only when an attention map is asked for/);
    expect(layerFiles.some((f) => created.has(f))).toBe(false);
    const [a, b] = await Promise.all([e.attentionMapPixels(pixels), e.attentionMapPixels(pixels)]);
    expect(e.layersLoaded).toBe(true);
    for (const f of layerFiles) expect(created.get(f), f).toBe(1);
    const want = await eager.attentionMapPixels(pixels);
    expect(a.heat).toEqual(want.heat);
    expect(b.heat).toEqual(want.heat);
    await e.attentionMapPixels(pixels);
    for (const f of layerFiles) expect(created.get(f), f).toBe(1);
  } finally {
    await e.release();
  }
});

test('a weights file changed since load is refused naming it; chat still works and the next map retries', async () => {
  const live = new Map(files);
  const e = await Engine.load(createNodeBackend(), memorySource(live));
  try {
    const damaged = live.get(weights)!.slice();
    damaged[100] ^= 0xff;
    live.set(weights, damaged);
    const err = await e.attentionMapPixels(pixels).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as ModelFormatError).message).toMatch(/decoder_weights\.bin.*sha256/);
    expect(e.layersLoaded).toBe(false);
    const c = await e.compressPixels(pixels); // the loaded sessions are untouched
    const chat = e.openChat({ modelId: c.modelId, K: c.K, d: c.d, data: c.tokens });
    expect((await chat.answer('what color is the circle ?', { maxTokens: 3 })).ids.length).toBeGreaterThan(0);
    chat.dispose();
    live.set(weights, files.get(weights)!);
    expect((await e.attentionMapPixels(pixels)).heat).toEqual((await eager.attentionMapPixels(pixels)).heat);
  } finally {
    await e.release();
  }
});

test('releasing the engine while the layer sessions are being created releases them too', async () => {
  const { backend, created } = countingBackend(createNodeBackend());
  const released: string[] = [];
  let opened!: () => void;
  const gate = new Promise<void>((r) => { opened = r; });
  let reached!: () => void;
  const atGate = new Promise<void>((r) => { reached = r; });
  const tracking: InferenceBackend = {
    ...backend,
    async createSession(bytes, o) {
      if (o.name === manifest.graphs.layers.post[0]) { reached(); await gate; } // hold the lazy load mid-way
      const s = await backend.createSession(bytes, o);
      return { ...s, release: async () => { released.push(o.name); await s.release(); } };
    },
  };
  const e = await Engine.load(tracking, memorySource(files));
  const map = e.attentionMapPixels(pixels);
  await atGate; // pre_0 exists, post_0 is being created
  const rel = e.release();
  opened();
  await rel;
  await expect(map).rejects.toBeInstanceOf(ModelNotLoadedError);
  const made = [...created.keys()].filter((f) => layerFiles.includes(f));
  expect(made.length).toBe(layerFiles.length); // the load ran to its end, then release() freed what it made
  expect(released.filter((f) => layerFiles.includes(f)).sort()).toEqual(made.sort());
});
