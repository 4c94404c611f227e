// EngineClient (main thread) -> the real engine worker -> EngineHost on onnxruntime-web (WebGPU when the
// browser has it, else wasm), with the tiny fixture package fetched over HTTP: load progress in the store,
// compress from an image file, streamed chat that reuses the worker's KV cache, search over the gallery,
// and named errors arriving as their classes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ChatEvent, ModelInfo, TokensInput } from '../../../src/engine/api';
import { EngineClient } from '../../../src/engine/client';
import { ImageDecodeError, ModelFormatError, TokenMismatchError } from '../../../src/engine/errors';
import { selectBackend } from '../../../src/gpu/ort';
import { actions, appStore } from '../../../src/state/store';
import { f16ArrayToF32 } from '../../../src/shared/fp16';
import { maxAbsDiff, type Golden } from '../../unit/engine/golden';

const BASE = '/test/fixtures/tiny-package/';
let engine: EngineClient;
let golden: Golden;
let info: ModelInfo;
const phases = new Set<string>();
let tokens: TokensInput[] = [];
let embeddings: Uint16Array[] = [];

async function collect(it: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

beforeAll(async () => {
  actions.reset();
  golden = await (await fetch(`${BASE}golden.json`)).json();
  engine = EngineClient.start();
  const unsub = appStore.subscribe((s) => { if (s.modelLoad) phases.add(s.modelLoad.progress.phase); });
  info = await engine.loadModel({ kind: 'url', url: BASE });
  unsub();
  for (const g of golden.images) {
    const r = await engine.compress(await (await fetch(BASE + g.file)).blob());
    tokens.push({ modelId: r.modelId, K: r.K, d: r.d, data: r.tokens });
    embeddings.push(r.embedding);
  }
}, 600_000);
afterAll(() => engine?.terminate());

describe('EngineClient over the engine worker', () => {
  test('loadModel reports download then compile progress in the store and returns the model facts', () => {
    expect(phases.has('download')).toBe(true);
    expect(phases.has('compile')).toBe(true);
    expect(appStore.getState().modelLoad).toBeNull();
    expect(info).toMatchObject({ K: 4, d: 32, nestedK: [1, 2, 4], tokenCounts: [1, 2, 4], bytesPerPhoto: 256, modelCard: 'MODEL_CARD.md', captionQuestion: 'describe the image .' });
    expect(info.baseUrl).toBe(new URL(BASE, location.href).href);
    expect(info.samples).toEqual(golden.images.map((g) => g.file));
    expect(['webgpu', 'wasm']).toContain(info.device);
  });

  test('the worker runs the model where the page would (WebGPU here when Chromium has --enable-unsafe-webgpu)', async () => {
    const page = await selectBackend();
    expect(info.device).toBe(page.backend);
    expect(info.fallbackReason === null).toBe(page.backend === 'webgpu');
  });

  test('compress(image file) gives the reference tokens and embedding, fp16', () => {
    for (const [i, g] of golden.images.entries()) {
      expect(tokens[i].data).toBeInstanceOf(Uint16Array);
      expect(maxAbsDiff(f16ArrayToF32(tokens[i].data as Uint16Array), g.compressed.flat())).toBeLessThan(golden.tolerances.compressed + 2 ** -9);
      expect(maxAbsDiff(f16ArrayToF32(embeddings[i]), g.embedding)).toBeLessThan(golden.tolerances.embedding + 2 ** -11);
    }
  });

  test('chat streams tokens then done; the next turn reuses the KV cache, a changed history does not', { timeout: 300_000 }, async () => {
    const first = await collect(engine.chat({ chatId: 'c1', tokens: tokens[0], history: [], question: 'where is the sign ?', options: { maxTokens: 4 } }));
    const done = first.at(-1)!;
    expect(done.kind).toBe('done');
    if (done.kind !== 'done') return;
    const streamed = first.filter((e) => e.kind === 'token');
    expect(streamed.map((e) => (e.kind === 'token' ? e.id : -1))).toEqual(done.ids);
    expect(streamed.map((e) => (e.kind === 'token' ? e.delta : '')).join('')).toBe(done.text);
    expect(done.reusedCache).toBe(false);
    const history = [{ question: 'where is the sign ?', answer: done.text, answerIds: done.ids }];
    const second = (await collect(engine.chat({ chatId: 'c1', tokens: tokens[0], history, question: 'how many objects are there ?', options: { maxTokens: 2 } }))).at(-1)!;
    expect(second).toMatchObject({ kind: 'done', reusedCache: true });
    if (second.kind === 'done') expect(second.stats.cachedTokens).toBeGreaterThan(second.stats.prefillTokens);
    const other = (await collect(engine.chat({ chatId: 'c1', tokens: tokens[0], history: [], question: 'where is the sign ?', options: { maxTokens: 4 } }))).at(-1)!;
    expect(other).toMatchObject({ kind: 'done', reusedCache: false });
    if (other.kind === 'done') expect(other.ids).toEqual(done.ids); // greedy: same question, same answer
  });

  test('breaking out of a chat stream cancels it; the engine keeps answering', { timeout: 300_000 }, async () => {
    let n = 0;
    for await (const e of engine.chat({ chatId: 'c2', tokens: tokens[1], history: [], question: 'describe the image .', options: { maxTokens: 60 } })) {
      if (e.kind === 'token' && ++n === 1) break;
    }
    expect(n).toBe(1);
    expect(await engine.caption({ tokens: tokens[1], kPrime: 2, options: { maxTokens: 3 } })).toEqual(expect.any(String));
  });

  test('search over the gallery (on the GPU under WebGPU) ranks like the reference', { timeout: 300_000 }, async () => {
    const d = info.d;
    const data = new Uint16Array(embeddings.length * d);
    embeddings.forEach((e, i) => data.set(e, i * d));
    const g = await engine.setGallery({ modelId: info.modelId, d, photoIds: golden.images.map((x) => x.file), data });
    expect(g).toEqual({ size: golden.images.length, onGpu: info.device === 'webgpu' });
    for (const q of golden.queries) {
      const hits = await engine.search(q.query, 3);
      expect(hits.map((h) => h.photoId), q.query).toEqual(q.ranking.slice(0, 3).map((i) => golden.images[i].file));
      expect(maxAbsDiff(hits.map((h) => h.score), q.scores.slice(0, 3))).toBeLessThan(5e-3);
    }
    const e = await engine.embedText(golden.queries[0].query);
    expect(e).toBeInstanceOf(Float32Array);
    expect(maxAbsDiff(e, golden.queries[0].embedding)).toBeLessThan(golden.tolerances.embedding);
    // rankGallery (the path the app measures against its own JS scan) ranks like search() for the same query
    for (const q of golden.queries) {
      const r = await engine.rankGallery(Float32Array.from(q.embedding), 3);
      expect(Array.from(r.indices), q.query).toEqual(q.ranking.slice(0, 3));
      expect(maxAbsDiff(r.scores, q.scores.slice(0, 3))).toBeLessThan(5e-3);
    }
    // an empty gallery frees the GPU copy and ranks nothing
    expect(await engine.setGallery({ modelId: info.modelId, d: 0, photoIds: [], data: new Uint16Array(0) })).toEqual({ size: 0, onGpu: false });
    expect((await engine.rankGallery(Float32Array.from(golden.queries[0].embedding), 3)).indices.length).toBe(0);
  });

  test('named errors cross the worker boundary as their classes', async () => {
    await expect(engine.compress(new Blob(['not an image'], { type: 'image/png' }))).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(collect(engine.chat({ chatId: 'x', tokens: { ...tokens[0], modelId: 'f2b-ffffffffffffffff' }, history: [], question: 'hi' })))
      .rejects.toBeInstanceOf(TokenMismatchError);
    const missing = engine.loadModel({ kind: 'url', url: '/test/fixtures/no-such-package/' });
    await expect(missing).rejects.toBeInstanceOf(ModelFormatError);
    await expect(missing).rejects.toThrow(/"manifest.json"/);
  });
});
