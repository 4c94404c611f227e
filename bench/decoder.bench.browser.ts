// The kernel decoder (layers/pre_i -> WGSL attention on ORT's device -> layers/post_i -> final) vs the
// ORT-only decoder.onnx, side by side in one run on the same WebGPU adapter (rounds interleaved so drift
// hits both): pass-1 prefill (the real pass-1 length 1 + V + P + K), pass 1 with the attention map, a
// 64-position prefill, and decode steps (S = 1) after a pass-2 prefix. On the tiny fixture, and on
// public/models/default when it exists. Writes bench/results/decoder.json.
// Run: nice -n 10 npx vitest run --config vitest.bench.config.ts bench/decoder.bench.browser.ts

import { afterAll, expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { fixedEmbeddings, passOne, passOneWithMap } from '../src/engine/core/compress';
import { concatRows, KvCache, runDecoder } from '../src/engine/core/decoder';
import { chooseDecoderPath } from '../src/engine/core/decoderChoice';
import { Engine } from '../src/engine/core/engine';
import type { DecoderPath } from '../src/engine/core/kernelDecoder';
import { createWebBackend } from '../src/engine/webBackend';
import { getOrtDevice, selectBackend } from '../src/gpu/ort';
import { urlSource } from '../src/model/package';

const results: Record<string, unknown> = {
  area: 'decoder', measuredAt: new Date().toISOString(), userAgent: navigator.userAgent,
  note: 'Medians of wall time (ms) per call, logits/hidden read back to the CPU; rounds alternate the two paths. '
    + 'WebGPU here is SwiftShader on 2 CPU cores (run with no other jobs): absolute numbers are CPU numbers.',
};
const round = (x: number) => Math.round(x * 100) / 100;
const median = (t: number[]) => { const s = [...t].sort((a, b) => a - b); return round(s[Math.floor(s.length / 2)]); };
const PATHS: DecoderPath[] = ['ort', 'kernels'];

async function timeIt(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function benchModel(base: string): Promise<Record<string, unknown>> {
  const engine = await Engine.load(await createWebBackend({ backend: 'webgpu' }), urlSource(base), { decoderPath: 'ort' });
  try {
    const m = engine.model;
    if (!m.layers?.kernels) return { skipped: 'no per-layer graphs on WebGPU' };
    const V = m.manifest.architecture.vision.numVisionTokens;
    const hv = m.summaryTokens.length >= m.d ? new Float32Array(V * m.d).map((_, i) => m.summaryTokens[i % m.summaryTokens.length] * 0.5) : new Float32Array(V * m.d);
    const { bos, prompt } = await fixedEmbeddings(m);
    const passOneLen = 1 + V + prompt.length / m.d + m.K;
    const rows: Record<string, unknown>[] = [];
    const t: Record<string, Record<DecoderPath, number[]>> = {
      pass1: { ort: [], kernels: [] }, prefill64: { ort: [], kernels: [] }, decode: { ort: [], kernels: [] },
    };
    const mapTimes: number[] = [];
    const prefix64 = new Float32Array(64 * m.d).map((_, i) => m.summaryTokens[i % m.summaryTokens.length]);
    const passTwoPrefix = concatRows([bos, m.summaryTokens, prefix64.subarray(0, 12 * m.d)]);
    const step = m.summaryTokens.subarray(0, m.d);
    for (const p of PATHS) { await passOne(m, hv, { path: p }); } // warm-up: pipelines, ORT kernels
    await passOneWithMap(m, hv);
    for (let round_ = 0; round_ < 5; round_++) {
      for (const p of round_ % 2 ? [...PATHS].reverse() : PATHS) {
        t.pass1[p].push(await timeIt(() => passOne(m, hv, { path: p })));
        t.prefill64[p].push(await timeIt(async () => {
          const c = KvCache.empty(m, p);
          try { await runDecoder(m, { embeds: prefix64, cache: c, pass: 'generate', logits: 'last', keepCache: false }); } finally { c.dispose(); }
        }));
        let cache = KvCache.empty(m, p);
        const r = await runDecoder(m, { embeds: passTwoPrefix, cache, pass: 'generate', logits: 'last' });
        cache.dispose();
        cache = r.cache!;
        for (let s = 0; s < 8; s++) {
          let next: KvCache | undefined;
          t.decode[p].push(await timeIt(async () => { next = (await runDecoder(m, { embeds: step, cache, pass: 'generate', logits: 'last' })).cache; }));
          cache.dispose();
          cache = next!;
        }
        cache.dispose();
      }
      mapTimes.push(await timeIt(() => passOneWithMap(m, hv)));
    }
    for (const [what, byPath] of Object.entries(t)) {
      const ort = median(byPath.ort), kernels = median(byPath.kernels);
      rows.push({ what, positions: what === 'pass1' ? passOneLen : what === 'prefill64' ? 64 : `1 per step, from position ${passTwoPrefix.length / m.d}`, ortMs: ort, kernelsMs: kernels, kernelsOverOrt: round(kernels / ort) });
    }
    const choice = await chooseDecoderPath(m);
    return {
      model: m.manifest.modelId, layers: m.layers.shape.layers, heads: m.layers.shape.Hq, kvHeads: m.layers.shape.Hkv, headDim: m.layers.shape.hd,
      rows, pass1WithAttentionMapKernelsMs: median(mapTimes), loadChoice: { path: choice.path, reason: choice.reason },
    };
  } finally {
    await engine.release();
  }
}

afterAll(async () => {
  await commands.writeFile('bench/results/decoder.json', JSON.stringify(results, null, 2) + '\n');
  console.log(JSON.stringify(results, null, 2));
});

test('kernel decoder vs decoder.onnx on WebGPU', async () => {
  const c = await selectBackend();
  expect(c.backend, c.reason ?? '').toBe('webgpu');
  const info = (await getOrtDevice()).adapterInfo;
  results.adapter = info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'unknown';
  results.tiny = await benchModel('/test/fixtures/tiny-package/');
  const res = await fetch('/models/default/manifest.json').catch(() => null); // public/ is served at the root
  const hasDefault = res?.ok && (res.headers.get('content-type') ?? '').includes('json');
  results.default = hasDefault ? await benchModel('/models/default/') : 'public/models/default does not exist yet';
});
