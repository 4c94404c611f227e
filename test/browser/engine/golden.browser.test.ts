// The engine core in Chromium on onnxruntime-web, wasm and WebGPU (SwiftShader), against the PyTorch reference
// of the tiny fixture package, fetched over HTTP like the app fetches a model. The Node run of the same checks
// is test/unit/engine/golden.test.ts; both compare with the same golden.json, so Node == wasm == WebGPU.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ChatSession, generateUncached } from '../../../src/engine/core/chat';
import { fixedEmbeddings } from '../../../src/engine/core/compress';
import { concatRows, embedIds } from '../../../src/engine/core/decoder';
import { Engine } from '../../../src/engine/core/engine';
import { decodeImage } from '../../../src/engine/imageDecode';
import { createWebBackend } from '../../../src/engine/webBackend';
import { selectBackend } from '../../../src/gpu/ort';
import { preprocessImage } from '../../../src/model/image';
import { urlSource } from '../../../src/model/package';
import { expectedIds, maxAbsDiff, runGolden, type Golden, type GoldenAnswer, type GoldenRun } from '../../unit/engine/golden';

// WebGPU on SwiftShader decodes at a few tokens per second on a busy 2-core machine: there it checks two
// questions per image at K' = 4, both K' of one question, and the first 16 caption tokens of one image.
const webgpuPick = (a: GoldenAnswer, image: number, index: number): number | false => {
  if (a.question === 'describe the image .') return image === 0 && a.k === 4 ? 16 : false;
  if (index === 0) return 12; // K' = 1, first question
  return a.k === 4 && (index === 5 || index === 6) ? 12 : false;
};

const BASE = '/test/fixtures/tiny-package/';
let golden: Golden;
const runs: Partial<Record<'wasm' | 'webgpu', { engine: Engine; run: GoldenRun }>> = {};
let webgpuUsable = false;

async function pixelsOf(engine: Engine, file: string): Promise<Float32Array> {
  const blob = await (await fetch(BASE + file)).blob();
  return preprocessImage(await decodeImage(blob, engine.info.imageSize), engine.model.manifest.preprocessing);
}

beforeAll(async () => {
  golden = await (await fetch(`${BASE}golden.json`)).json();
  webgpuUsable = (await selectBackend()).backend === 'webgpu';
});
afterAll(async () => {
  for (const r of Object.values(runs)) await r?.engine.release();
});

describe.each(['wasm', 'webgpu'] as const)('golden on onnxruntime-web %s', (backend) => {
  beforeAll(async () => {
    if (backend === 'webgpu' && !webgpuUsable) return;
    const engine = await Engine.load(await createWebBackend({ backend }), urlSource(BASE));
    const pick = backend === 'webgpu' ? webgpuPick : undefined;
    runs[backend] = { engine, run: await runGolden(engine, golden, (f) => pixelsOf(engine, f), { pick }) };
  }, 600_000);
  const get = () => {
    const r = runs[backend];
    if (!r) throw new Error(`WebGPU is not usable in this browser (run Chromium with --enable-unsafe-webgpu)`);
    return r;
  };

  test('every session runs on the backend asked for', () => {
    if (backend === 'webgpu' && !webgpuUsable) return;
    expect(get().engine.info.devices).toEqual({ vision: backend, embed: backend, decoder: backend });
  });

  test('the browser decodes the PNG samples to the pixels PIL gives', () => {
    if (backend === 'webgpu' && !webgpuUsable) return;
    for (const [i, g] of golden.images.entries()) {
      expect(get().run.images[i].pixelsHead, g.file).toEqual(g.pixels_head.map(Math.fround));
      expect(Math.abs(get().run.images[i].pixelsSum - g.pixels_sum), g.file).toBeLessThan(1e-3);
    }
  });

  test('vision tokens, compressed tokens and embeddings within the golden tolerances', () => {
    if (backend === 'webgpu' && !webgpuUsable) return;
    for (const [i, g] of golden.images.entries()) {
      const im = get().run.images[i];
      expect(maxAbsDiff(im.visionHead, g.vision_tokens_head), g.file).toBeLessThan(golden.tolerances.vision_tokens);
      expect(maxAbsDiff(im.compressed, g.compressed.flat()), g.file).toBeLessThan(golden.tolerances.compressed);
      expect(maxAbsDiff(im.embedding, g.embedding), g.file).toBeLessThan(golden.tolerances.embedding);
    }
  });

  test(`greedy answers: identical token ids for ${backend === 'wasm' ? 'every' : 'the checked'} (image, K', question)`, () => {
    if (backend === 'webgpu' && !webgpuUsable) return;
    let n = 0;
    for (const [i, g] of golden.images.entries()) {
      for (const got of get().run.images[i].answers) {
        const a = g.answers[got.index];
        expect(got.ids, `${g.file} K'=${a.k} ${a.question}`).toEqual(expectedIds(a, got.maxTokens));
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(backend === 'wasm' ? 40 : 9);
  });

  test('search: text embeddings and the top-10 ranking equal the reference', () => {
    if (backend === 'webgpu' && !webgpuUsable) return;
    for (const [i, q] of golden.queries.entries()) {
      expect(maxAbsDiff(get().run.queries[i].embedding, q.embedding), q.query).toBeLessThan(golden.tolerances.embedding);
      expect(get().run.queries[i].ranking, q.query).toEqual(q.ranking);
    }
  });

  test('cached == uncached decoding; on WebGPU the KV cache stays in GPU buffers', { timeout: 600_000 }, async () => {
    if (backend === 'webgpu' && !webgpuUsable) return;
    const { engine, run } = get();
    const m = engine.model;
    const q = golden.images[2].answers[6].question;
    const chat = ChatSession.fromTokens(m, run.images[2].compressed, 4);
    const cached = await chat.answer(q, { maxTokens: 12 });
    expect(chat.cacheLocation).toBe(backend === 'webgpu' ? 'gpu-buffer' : 'cpu');
    const turn2 = await chat.answer('where is the sign ?', { maxTokens: 3 });
    expect(turn2.stats.cachedTokens).toBeGreaterThan(turn2.stats.prefillTokens); // turn 2 did not recompute the prefix
    chat.dispose();
    const { bos } = await fixedEmbeddings(m);
    const prefix = concatRows([bos, run.images[2].compressed, await embedIds(m, m.template.turnIds(q))]);
    expect(cached.ids).toEqual(await generateUncached(m, prefix, 12));
    expect(cached.ids).toEqual(golden.images[2].answers[6].ids);
  });
});

test('wasm and WebGPU compute the same compressed tokens (1e-4) and text embeddings (1e-4)', () => {
  if (!webgpuUsable) return;
  const a = runs.wasm!.run, b = runs.webgpu!.run;
  for (let i = 0; i < a.images.length; i++) expect(maxAbsDiff(a.images[i].compressed, b.images[i].compressed)).toBeLessThan(1e-4);
  for (let i = 0; i < a.queries.length; i++) expect(maxAbsDiff(a.queries[i].embedding, b.queries[i].embedding)).toBeLessThan(1e-4);
});
