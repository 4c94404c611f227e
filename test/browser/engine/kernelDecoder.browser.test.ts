// The kernel decoder path (layers/pre_i -> WGSL attention on ORT's device -> layers/post_i -> final) against
// the monolithic decoder.onnx path and golden.json on the tiny fixture, in Chromium on WebGPU (SwiftShader);
// masks decoder.onnx cannot express against the per-layer graphs with the JS attention; attention maps
// against a float64 reference from the q/k the pre graphs produce, and on wasm (CPU attention).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ChatSession, generateUncached } from '../../../src/engine/core/chat';
import { fixedEmbeddings, passOne, passOneWithMap, visionTokens } from '../../../src/engine/core/compress';
import { concatRows, embedIds, KvCache, runDecoder } from '../../../src/engine/core/decoder';
import { Engine } from '../../../src/engine/core/engine';
import { CpuLayerAttention, runLayered, type LayerAttention } from '../../../src/engine/core/kernelDecoder';
import { readFloat32 } from '../../../src/engine/core/backend';
import { decodeImage } from '../../../src/engine/imageDecode';
import { createWebBackend } from '../../../src/engine/webBackend';
import { selectBackend } from '../../../src/gpu/ort';
import { attentionMapRef } from '../../../src/kernels/attentionMap.ref';
import type { AttentionRefInput } from '../../../src/kernels/attention.ref';
import { preprocessImage } from '../../../src/model/image';
import { urlSource } from '../../../src/model/package';
import { maxAbsDiff, type Golden } from '../../unit/engine/golden';

const BASE = '/test/fixtures/tiny-package/';
let golden: Golden;
let gpu: Engine | null = null;
let webgpuUsable = false;
const hv: Float32Array[] = [];

beforeAll(async () => {
  golden = await (await fetch(`${BASE}golden.json`)).json();
  webgpuUsable = (await selectBackend()).backend === 'webgpu';
  if (!webgpuUsable) return;
  gpu = await Engine.load(await createWebBackend({ backend: 'webgpu' }), urlSource(BASE), { decoderPath: 'ort' });
  for (const g of golden.images.slice(0, 2)) {
    const blob = await (await fetch(BASE + g.file)).blob();
    const px = preprocessImage(await decodeImage(blob, gpu.info.imageSize), gpu.model.manifest.preprocessing);
    hv.push(await visionTokens(gpu.model, px));
  }
}, 300_000);
afterAll(async () => {
  await gpu?.release();
});

const need = () => {
  if (!gpu) throw new Error('WebGPU is not usable in this browser (run Chromium with --enable-unsafe-webgpu)');
  return gpu.model;
};

describe('kernel decoder on WebGPU', () => {
  test('the per-layer graphs run on WebGPU and the kernel attention is available', () => {
    if (!webgpuUsable) return;
    const m = need();
    expect(m.layers).toBeDefined();
    expect(m.layers!.pre.every((s) => s.device === 'webgpu')).toBe(true);
    expect(m.layers!.kernels).not.toBeNull();
  });

  test('pass 1: compressed tokens equal decoder.onnx within 1e-4 and golden within its tolerance', async () => {
    if (!webgpuUsable) return;
    const m = need();
    for (const [i, block] of hv.entries()) {
      const ort = await passOne(m, block, { path: 'ort' });
      const ker = await passOne(m, block, { path: 'kernels' });
      expect(maxAbsDiff(ker, ort), golden.images[i].file).toBeLessThan(1e-4);
      expect(maxAbsDiff(ker, golden.images[i].compressed.flat()), golden.images[i].file).toBeLessThan(golden.tolerances.compressed);
    }
  }, 300_000);

  test('pass 2: prefill logits (all rows) and decode-step logits equal decoder.onnx within 1e-4', async () => {
    if (!webgpuUsable) return;
    const m = need();
    const { bos } = await fixedEmbeddings(m);
    const tokens = await passOne(m, hv[0], { path: 'ort' });
    const prefix = concatRows([bos, tokens, await embedIds(m, m.template.turnIds(golden.images[0].answers[0].question))]);
    const steps = await embedIds(m, [23, 84, 78]);
    const out: Record<string, Float32Array[]> = {};
    for (const path of ['ort', 'kernels'] as const) {
      let cache = KvCache.empty(m, path);
      const r = await runDecoder(m, { embeds: prefix, cache, pass: 'generate', logits: 'all' });
      cache.dispose();
      cache = r.cache!;
      expect(cache.path).toBe(path);
      out[path] = [r.logits!];
      for (let s = 0; s < 3; s++) {
        const st = await runDecoder(m, { embeds: steps.slice(s * m.d, (s + 1) * m.d), cache, pass: 'generate', logits: 'last' });
        cache.dispose();
        cache = st.cache!;
        out[path].push(st.logits!);
      }
      expect(cache.length).toBe(prefix.length / m.d + 3);
      cache.dispose();
    }
    expect(prefix.length / m.d).toBeGreaterThanOrEqual(16); // the prefill entry point of the kernel
    for (let i = 0; i < out.ort.length; i++) expect(maxAbsDiff(out.kernels[i], out.ort[i]), `run ${i}`).toBeLessThan(1e-4);
  }, 300_000);

  test('greedy chat on the kernel path: golden ids, KV cache on the GPU, cached == uncached', async () => {
    if (!webgpuUsable) return;
    const m = need();
    const layers = m.layers!;
    layers.path = 'kernels';
    try {
      const g = golden.images[0];
      const tokens = await passOne(m, hv[0]);
      for (const idx of [0, 5]) {
        const a = g.answers[idx];
        const chat = ChatSession.fromTokens(m, tokens, m.K, a.k);
        const r = await chat.answer(a.question, { maxTokens: 8 });
        expect(chat.cacheLocation).toBe('gpu-buffer');
        expect(r.ids, `${a.question} K'=${a.k}`).toEqual(a.ids.slice(0, 8));
        if (idx === 5) {
          const turn2 = await chat.answer('where is the sign ?', { maxTokens: 3 });
          expect(turn2.stats.cachedTokens).toBeGreaterThan(turn2.stats.prefillTokens);
          const { bos } = await fixedEmbeddings(m);
          const prefix = concatRows([bos, tokens.slice(0, a.k * m.d), await embedIds(m, m.template.turnIds(a.question))]);
          expect(await generateUncached(m, prefix, 8)).toEqual(r.ids);
        }
        chat.dispose();
      }
    } finally {
      layers.path = 'ort';
    }
  }, 600_000);

  test('masks decoder.onnx lacks: bidirectional pass 1 and hidden summary keys agree with the JS attention (1e-4)', async () => {
    if (!webgpuUsable) return;
    const m = need();
    const kb = await passOne(m, hv[1], { path: 'kernels', bidirectional: true });
    const cb = await passOne(m, hv[1], { path: 'cpu', bidirectional: true });
    expect(maxAbsDiff(kb, cb)).toBeLessThan(1e-4);
    expect(maxAbsDiff(kb, await passOne(m, hv[1], { path: 'kernels' }))).toBeGreaterThan(1e-3); // the block changes the result
    const { bos } = await fixedEmbeddings(m);
    const tokens = await passOne(m, hv[1], { path: 'ort' });
    const prefix = concatRows([bos, tokens, await embedIds(m, m.template.turnIds('what is written on the sign ?'))]);
    const logits: Record<string, Float32Array> = {};
    for (const path of ['kernels', 'cpu'] as const) {
      const cache = KvCache.empty(m, path);
      const r = await runDecoder(m, { embeds: prefix, cache, pass: 'generate', logits: 'all', mask: { hiddenKeys: [2, 3] } });
      cache.dispose();
      const step = await runDecoder(m, { embeds: await embedIds(m, [23]), cache: r.cache!, pass: 'generate', logits: 'last', mask: { hiddenKeys: [2, 3] } });
      r.cache!.dispose();
      step.cache!.dispose();
      logits[path] = concatRows([r.logits!, step.logits!]);
    }
    const plain = KvCache.empty(m, 'kernels');
    const unmasked = (await runDecoder(m, { embeds: prefix, cache: plain, pass: 'generate', logits: 'all', keepCache: false })).logits!;
    plain.dispose();
    expect(maxAbsDiff(logits.kernels.subarray(0, unmasked.length), unmasked)).toBeGreaterThan(1e-3); // the mask changes the result
    expect(maxAbsDiff(logits.kernels, logits.cpu)).toBeLessThan(1e-4);
  }, 300_000);

  test('attention map: kernels == JS attention == float64 reference from the pre graphs\' q/k', async () => {
    if (!webgpuUsable) return;
    const m = need();
    const layers = m.layers!;
    const V = hv[0].length / m.d, K = m.K;
    const ker = await passOneWithMap(m, hv[0], { perToken: true });
    expect(ker.path).toBe('kernels');
    const cpu = await passOneWithMap(m, hv[0], { path: 'cpu', perToken: true });
    expect(ker.heat.length).toBe(V);
    expect(ker.perToken!.length).toBe(K * V);
    expect(maxAbsDiff(ker.heat, cpu.heat)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ker.perToken!, cpu.perToken!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ker.tokens, await passOne(m, hv[0], { path: 'ort' }))).toBeLessThan(1e-4);

    // Reference: capture q/k/v of every layer as the pre graphs emit them, then attentionMapRef in float64.
    const inner = new CpuLayerAttention(m, layers.shape, 512);
    const captured: AttentionRefInput[] = [];
    const spy: LayerAttention = {
      kind: 'cpu', get length() { return inner.length; },
      async attend(a) {
        const [q, k, v] = await Promise.all([readFloat32(a.q), readFloat32(a.k), readFloat32(a.v)]);
        captured.push({ q: Float64Array.from(q), k: Float64Array.from(k), v: Float64Array.from(v), S: a.S, ...layers.shape, pastLen: 0 });
        return inner.attend(a);
      },
      endRun: () => inner.endRun(), truncate: (n) => inner.truncate(n), readMap: (p) => inner.readMap(p), dispose: () => inner.dispose(),
    };
    const { bos, prompt } = await fixedEmbeddings(m);
    const embeds = concatRows([bos, hv[0], prompt, m.summaryTokens]);
    const T = embeds.length / m.d;
    await runLayered(m, layers, { embeds, state: spy, pass: 'compress', keep: false, map: { rowStart: T - K, rows: K, keyStart: 1, keys: V } });
    expect(captured.length).toBe(layers.shape.layers);
    const ref = attentionMapRef({ layers: captured, rowStart: T - K, rowCount: K, keyStart: 1, keyCount: V });
    expect(maxAbsDiff(ker.heat, ref.heat)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ker.perToken!, ref.accum)).toBeLessThan(1e-5);
    // A summary row's probability mass on the vision tokens is at most 1, and positive.
    for (let r = 0; r < K; r++) {
      const s = ker.perToken!.slice(r * V, (r + 1) * V).reduce((a, b) => a + b, 0);
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1 + 1e-5);
    }
  }, 300_000);

  test('Engine.attentionMapPixels on wasm (JS attention) equals the WebGPU kernel map (1e-5)', async () => {
    if (!webgpuUsable) return;
    const m = need();
    const wasm = await Engine.load(await createWebBackend({ backend: 'wasm' }), urlSource(BASE));
    try {
      expect(wasm.info.decoderPath).toBe('ort');
      const blob = await (await fetch(BASE + golden.images[0].file)).blob();
      const px = preprocessImage(await decodeImage(blob, wasm.info.imageSize), wasm.model.manifest.preprocessing);
      const a = await wasm.attentionMapPixels(px, { perToken: true });
      expect(a.path).toBe('cpu');
      expect(a.grid).toEqual(wasm.info.patchGrid);
      const b = await gpu!.attentionMapPixels(px, { perToken: true });
      expect(b.path).toBe('kernels');
      expect(maxAbsDiff(a.heat, b.heat)).toBeLessThan(1e-5);
      expect(maxAbsDiff(a.perToken!, b.perToken!)).toBeLessThan(1e-5);
      expect(a.heat.length).toBe(a.grid[0] * a.grid[1]);
      void m;
    } finally {
      await wasm.release();
    }
  }, 300_000);

  test('Engine.load measures both decoders on WebGPU, reports the choice and keeps only that one; maps and chat still work', async () => {
    if (!webgpuUsable) return;
    const e = await Engine.load(await createWebBackend({ backend: 'webgpu' }), urlSource(BASE));
    try {
      expect(['kernels', 'ort']).toContain(e.info.decoderPath);
      expect(e.info.decoderPathReason).toMatch(/decode step/);
      expect(e.info.attentionMaps).toBe('kernels');
      // the decoder weights stay in GPU memory once: the other path's sessions were released
      if (e.info.decoderPath === 'kernels') {
        expect(e.model.decoder).toBeNull();
        expect(e.model.layers!.path).toBe('kernels');
      } else {
        expect(e.model.layers).toBeUndefined();
        expect(e.model.decoder).not.toBeNull();
      }
      const g = golden.images[0];
      const blob = await (await fetch(BASE + g.file)).blob();
      const px = preprocessImage(await decodeImage(blob, e.info.imageSize), e.model.manifest.preprocessing);
      const c = await e.compressPixels(px);
      expect(maxAbsDiff(c.tokensF32, Float32Array.from(g.compressed.flat()))).toBeLessThan(golden.tolerances.compressed);
      const map = await e.attentionMapPixels(px);
      expect(map.path).toBe('kernels');
      expect(e.model.layers).toBeDefined();
      const want = g.answers.find((a) => a.k === c.K)!;
      const chat = e.openChat({ modelId: c.modelId, K: c.K, d: c.d, data: c.tokens });
      try {
        const got = await chat.answer(want.question, { maxTokens: 3 });
        expect(got.ids).toEqual(want.ids.slice(0, got.ids.length));
      } finally {
        chat.dispose();
      }
    } finally {
      await e.release();
    }
  }, 300_000);
});
