// Custom WGSL kernels vs the alternatives, side by side in one run on ORT's own GPU device:
//   search       similarityTopK (fp16 store) vs a plain JS scan over Float32Array, N = 1k .. 1M
//   attention    attention.wgsl vs onnxruntime-web's GroupQueryAttention / MultiHeadAttention on the
//                webgpu EP (GPU-buffer inputs and outputs on both sides), prefill and decode, at the
//                tiny model's shapes (Hq 8, Hkv 4, hd 32; pass 1 is ~88 tokens)
//   preprocess   preprocess.wgsl vs the CPU path (preprocess.ref.ts), photo -> 64x64 box and 224x224 bilinear
// The decoder-level comparison (kernel decoder vs ORT-only decoder.onnx) is bench/decoder.bench.browser.ts.
// Writes bench/results/kernels.json.
// Run: nice -n 10 npx vitest run --config vitest.bench.config.ts bench/kernels.bench.browser.ts

import { afterAll, beforeAll, expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { createSession, getOrtDevice, gpuBufferOf, selectBackend, tensorFromGpuBuffer, Tensor, type OrtSession } from '../src/gpu/ort';
import { Recorder, STORAGE_RW, getBufferPool, readBuffer } from '../src/gpu/buffers';
import {
  attentionVariant, createKvCache, destroyKvCache, encodeAttention, encodeKvAppend, warmAttention, type AttentionVariant,
} from '../src/kernels/attention';
import {
  appendEmbeddings, createEmbeddingStore, destroyEmbeddingStore, searchTopK, warmSimilarityTopK, type EmbeddingStore,
} from '../src/kernels/similarityTopK';
import { jsScanTopK } from '../src/kernels/similarityTopK.ref';
import { preprocessImage, warmPreprocess, type PreprocessOptions } from '../src/kernels/preprocess';
import { preprocessRef } from '../src/kernels/preprocess.ref';
import { gqaModel, maskBias, mhaModel, toBNSH } from '../test/browser/kernels/attentionGraphs';

const results: Record<string, unknown> = {};
let device: GPUDevice;

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** Median wall time (ms) of `runs` calls after `warmup` untimed ones. */
async function median(runs: number, f: () => Promise<unknown>, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return round(t[Math.floor(t.length / 2)]);
}

function randomUnitRows(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    let nn = 0;
    for (let e = 0; e < d; e++) {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      const v = s / 0x100000000 - 0.5;
      x[r * d + e] = v;
      nn += v * v;
    }
    const inv = 1 / Math.sqrt(nn);
    for (let e = 0; e < d; e++) x[r * d + e] *= inv;
  }
  return x;
}

beforeAll(async () => {
  const c = await selectBackend();
  expect(c.backend, `WebGPU needed: ${c.reason}`).toBe('webgpu');
  device = await getOrtDevice();
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  results.area = 'kernels';
  results.measuredAt = new Date().toISOString();
  results.userAgent = navigator.userAgent;
  results.adapter = info ? `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim() : 'unknown';
  results.limits = {
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
  };
  results.shaderF16 = device.features.has('shader-f16');
  results.note = 'Medians of wall time on ORT\'s device (submit to queue idle / result read back), 2 shared CPU cores; '
    + 'on SwiftShader the "GPU" is the same CPU, so ratios say nothing about a real GPU. ratio = other / kernel (>1: kernel faster).';
  results.decoder = 'see bench/results/decoder.json (bench/decoder.bench.browser.ts)';
  await Promise.all([warmAttention(device, 32), warmPreprocess(device), warmSimilarityTopK(device, 'f16', 10)]);
});

afterAll(async () => {
  await commands.writeFile('bench/results/kernels.json', JSON.stringify(results, null, 2) + '\n');
  console.log(JSON.stringify(results, null, 2));
});

// ---------------------------------------------------------------------------------------------- search

test('search: GPU top-k (fp16 store) vs plain JS scan (Float32Array), d = 256, k = 10', async () => {
  const d = 256, k = 10;
  const sizes = [1_000, 10_000, 100_000, 1_000_000];
  const rows: Record<string, unknown>[] = [];
  const query = randomUnitRows(1, d, 999);
  for (const N of sizes) {
    const data = randomUnitRows(N, d, N); // (N, d) f32, 1 GB at 1M
    let store: EmbeddingStore | undefined;
    try {
      const t0 = performance.now();
      store = createEmbeddingStore(device, { d, dtype: 'f16', initialCapacity: N });
      for (let s = 0; s < N; s += 50_000) appendEmbeddings(store, data.subarray(s * d, Math.min(N, s + 50_000) * d));
      await device.queue.onSubmittedWorkDone();
      const uploadMs = round(performance.now() - t0);
      const runs = N >= 1_000_000 ? 3 : 5;
      const gpuMs = await median(runs, () => searchTopK(store!, query, k));
      const jsMs = await median(runs, async () => jsScanTopK(query, data, N, d, k));
      const g = await searchTopK(store, query, k);
      const js = jsScanTopK(query, data, N, d, k);
      const sameTop1 = g.indices[0] === js.indices[0];
      rows.push({ N, d, k, chunks: store.chunks.length, uploadMs, gpuMs, jsMs, ratioJsOverGpu: round(jsMs / gpuMs, 2), sameTop1 });
      console.log(`search N=${N}: gpu ${gpuMs} ms, js ${jsMs} ms, js/gpu ${round(jsMs / gpuMs, 2)}`);
    } finally {
      if (store) destroyEmbeddingStore(store);
    }
  }
  results.search = rows;
});

// ---------------------------------------------------------------------------------------------- attention

interface AttnShape { name: string; S: number; past: number; Hq: number; Hkv: number; hd: number }

function gpuBuf(data: Float32Array): GPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: STORAGE_RW });
  device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
  return b;
}

test('attention: kernel vs ORT GroupQueryAttention / MultiHeadAttention (webgpu EP), GPU buffers in and out', async () => {
  const shapes: AttnShape[] = [
    { name: 'prefill 16', S: 16, past: 0, Hq: 8, Hkv: 4, hd: 32 },
    { name: 'pass-1 prefill (V 64 + prompt 8 + K 16)', S: 88, past: 0, Hq: 8, Hkv: 4, hd: 32 },
    { name: 'prefill 256', S: 256, past: 0, Hq: 8, Hkv: 4, hd: 32 },
    { name: 'decode at T 128', S: 1, past: 127, Hq: 8, Hkv: 4, hd: 32 },
    { name: 'decode at T 512', S: 1, past: 511, Hq: 8, Hkv: 4, hd: 32 },
  ];
  const rows: Record<string, unknown>[] = [];
  const sessions: OrtSession[] = [];
  const owned: GPUBuffer[] = [];
  try {
    for (const sh of shapes) {
      const { S, past, Hq, Hkv, hd } = sh;
      const T = past + S;
      const q = randomUnitRows(S * Hq, hd, 1), k = randomUnitRows(T * Hkv, hd, 2), v = randomUnitRows(T * Hkv, hd, 3);
      const row = Hkv * hd;
      const qB = gpuBuf(q), kNewB = gpuBuf(k.slice(past * row)), vNewB = gpuBuf(v.slice(past * row));
      const kPastB = gpuBuf(k.slice(0, past * row)), vPastB = gpuBuf(v.slice(0, past * row));
      owned.push(qB, kNewB, vNewB, kPastB, vPastB);

      // Ours: the cache already holds `past` rows; each timed run appends S rows and attends.
      const cache = createKvCache(device, { capacity: T, Hkv, hd });
      const out = device.createBuffer({ size: S * Hq * hd * 4, usage: STORAGE_RW });
      owned.push(out);
      const setup = new Recorder(device);
      if (past) encodeKvAppend(setup, cache, kPastB, vPastB, past);
      setup.submit();
      const ours = async (variant?: AttentionVariant) => {
        cache.length = past;
        const rec = new Recorder(device);
        encodeKvAppend(rec, cache, kNewB, vNewB, S);
        encodeAttention(rec, { q: qB, S, Hq, cache, out, variant });
        rec.submit();
        await device.queue.onSubmittedWorkDone();
      };
      const chosen = attentionVariant({ S });
      const other: AttentionVariant = chosen === 'decode' ? 'prefill' : 'decode';
      const oursMs = await median(7, () => ours(), 2);
      const otherVariantMs = await median(3, () => ours(other), 1);
      await ours();
      const oursOut = new Float32Array(await readBuffer(device, out, S * Hq * hd * 4));

      // ORT GQA on webgpu, same inputs as GPU tensors, outputs kept on the GPU.
      const gqa = await createSession(gqaModel(Hq, Hkv, hd, 1 / Math.sqrt(hd), past > 0), { backend: 'webgpu', fallbackToWasm: false, gpuOutputs: true, name: `gqa ${sh.name}` });
      sessions.push(gqa);
      const pastKB = past ? gpuBuf(toBNSH(k.slice(0, past * row), past, Hkv, hd)) : undefined;
      const pastVB = past ? gpuBuf(toBNSH(v.slice(0, past * row), past, Hkv, hd)) : undefined;
      if (pastKB && pastVB) owned.push(pastKB, pastVB);
      const gqaFeeds = () => ({
        query: tensorFromGpuBuffer(qB, [1, S, Hq * hd]),
        key: tensorFromGpuBuffer(kNewB, [1, S, row]),
        value: tensorFromGpuBuffer(vNewB, [1, S, row]),
        ...(pastKB && pastVB ? { past_key: tensorFromGpuBuffer(pastKB, [1, Hkv, past, hd]), past_value: tensorFromGpuBuffer(pastVB, [1, Hkv, past, hd]) } : {}),
        seqlens_k: new Tensor('int32', Int32Array.from([T - 1]), [1]),
        total_sequence_length: new Tensor('int32', Int32Array.from([T]), []),
      });
      let lastGqa: Float32Array | undefined;
      const runGqa = async (keep = false) => {
        const r = await gqa.run(gqaFeeds());
        await device.queue.onSubmittedWorkDone();
        if (keep) lastGqa = new Float32Array(await readBuffer(device, gpuBufferOf(r.output), S * Hq * hd * 4));
        for (const t of Object.values(r)) t.dispose();
      };
      const gqaMs = await median(7, () => runGqa(), 2);
      await runGqa(true);

      // ORT MHA (H = Hq, KV heads repeated) with a causal attention_bias: the general-mask path.
      const D = Hq * hd;
      const rep = (x: Float32Array) => { // (T, Hkv, hd) -> (T, Hq, hd)
        const o = new Float32Array(T * D);
        for (let t = 0; t < T; t++) for (let h = 0; h < Hq; h++) o.set(x.subarray((t * Hkv + Math.floor(h / (Hq / Hkv))) * hd, (t * Hkv + Math.floor(h / (Hq / Hkv)) + 1) * hd), (t * Hq + h) * hd);
        return o;
      };
      const mkB = gpuBuf(rep(k)), mvB = gpuBuf(rep(v)), biasB = gpuBuf(maskBias(S, past));
      owned.push(mkB, mvB, biasB);
      const mha = await createSession(mhaModel(Hq, hd, 1 / Math.sqrt(hd)), { backend: 'webgpu', fallbackToWasm: false, gpuOutputs: true, name: `mha ${sh.name}` });
      sessions.push(mha);
      let lastMha: Float32Array | undefined;
      const runMha = async (keep = false) => {
        const r = await mha.run({
          query: tensorFromGpuBuffer(qB, [1, S, D]), key: tensorFromGpuBuffer(mkB, [1, T, D]),
          value: tensorFromGpuBuffer(mvB, [1, T, D]), attention_bias: tensorFromGpuBuffer(biasB, [1, 1, S, T]),
        });
        await device.queue.onSubmittedWorkDone();
        if (keep) lastMha = new Float32Array(await readBuffer(device, gpuBufferOf(r.output), S * D * 4));
        r.output.dispose();
      };
      const mhaMs = await median(7, () => runMha(), 2);
      await runMha(true);

      const maxDiff = (a?: Float32Array) => (a ? round(Math.max(...Array.from(a, (x, i) => Math.abs(x - oursOut[i]))), 6) : null);
      rows.push({
        ...sh, variant: chosen, oursMs, [`ours_${other}VariantMs`]: otherVariantMs, ortGqaMs: gqaMs, ortMhaMs: mhaMs,
        ratioGqaOverOurs: round(gqaMs / oursMs, 2), ratioMhaOverOurs: round(mhaMs / oursMs, 2),
        maxAbsDiffGqa: maxDiff(lastGqa), maxAbsDiffMha: maxDiff(lastMha),
      });
      console.log(`attention ${sh.name}: ours ${oursMs} ms (${chosen}; ${other} ${otherVariantMs} ms), ORT GQA ${gqaMs} ms, ORT MHA ${mhaMs} ms`);
      destroyKvCache(cache);
    }
  } finally {
    for (const s of sessions) await s.release();
    for (const b of owned) b.destroy();
  }
  results.attention = rows;
  results.attentionNote = 'maxAbsDiff* = ORT webgpu output vs the kernel; the kernel matches ORT wasm (tests). '
    + 'On SwiftShader ORT webgpu MHA/GQA prefill is wrong for S >= 32 (flash-attention path), which the diffs show.';
});

// ---------------------------------------------------------------------------------------------- preprocess

test('preprocess: GPU kernel vs CPU path (photo 1024x768)', async () => {
  const W = 1024, H = 768;
  const px = new Uint8ClampedArray(W * H * 4);
  let s = 12345;
  for (let i = 0; i < px.length; i++) { s = (s * 1103515245 + 12345) >>> 0; px[i] = s >>> 24; }
  const targets: [string, PreprocessOptions][] = [
    ['64x64 box (this model)', { dstW: 64, dstH: 64, filter: 'box', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }],
    ['224x224 bilinear (CLIP-size)', { dstW: 224, dstH: 224, filter: 'bilinear', mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28] }],
  ];
  const rows: Record<string, unknown>[] = [];
  const pool = getBufferPool(device);
  for (const [name, o] of targets) {
    // GPU: upload + two passes, result stays on the GPU for the encoder (what the engine would do).
    const gpuMs = await median(5, async () => {
      const out = preprocessImage(device, px, W, H, o);
      await device.queue.onSubmittedWorkDone();
      pool.release(out);
    });
    // GPU with the result read back to the CPU (if the encoder input had to come from the CPU).
    const gpuReadMs = await median(5, async () => {
      const out = preprocessImage(device, px, W, H, o);
      await readBuffer(device, out, 3 * o.dstW * o.dstH * 4);
      pool.release(out);
    });
    const cpuMs = await median(5, async () => preprocessRef(px, W, H, o));
    rows.push({ name, src: `${W}x${H}`, gpuMs, gpuWithReadbackMs: gpuReadMs, cpuMs, ratioCpuOverGpu: round(cpuMs / gpuMs, 2) });
    console.log(`preprocess ${name}: gpu ${gpuMs} ms (${gpuReadMs} with readback), cpu ${cpuMs} ms`);
  }
  results.preprocess = rows;
});
