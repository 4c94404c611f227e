// attention.wgsl vs the float64 reference: random shapes (head dims and key counts that are not
// multiples of the 64-wide workgroup, GQA groups, past lengths crossing tiles), every mask mode, rows
// with no visible key, outlier logits, decode == prefill, the fp16 storage variant, and the guards.
import { describe, expect, it } from 'vitest';
import {
  createKeyMask, createKvCache, destroyKvCache, encodeAttention, encodeKvAppend, attentionParams, warmAttention,
  type AttentionVariant, type KvCache, type KeyMask,
} from '../../../src/kernels/attention';
import { attentionRef } from '../../../src/kernels/attention.ref';
import { KernelLimitError, KernelShapeError, type Dtype } from '../../../src/kernels/checks';
import { Recorder, STORAGE_RW } from '../../../src/gpu/buffers';
import { fromF16, roundF16, toF16 } from '../../../src/kernels/f16';
import { checkClose, expectNoGpuError, randInt, randn, readF32, readU16, rng, testDevice, upload } from './util';

interface Case {
  S: number; Hq: number; Hkv: number; hd: number; pastLen: number;
  block?: { start: number; end: number }; hidden?: number[]; scale?: number; dtype?: Dtype;
  variant?: AttentionVariant; // default: by S, as the engine gets it
  q: Float32Array; k: Float32Array; v: Float32Array; // k, v: (pastLen + S, Hkv, hd)
}

const toBuf = (device: GPUDevice, x: Float32Array, dtype: Dtype, label: string) =>
  upload(device, dtype === 'f16' ? toF16(x) : x, STORAGE_RW, label);

/** Fill a cache with the first pastLen rows (one append), then append S rows and attend. */
async function runGpu(device: GPUDevice, c: Case, capacityExtra = 5) {
  const dtype = c.dtype ?? 'f32';
  const T = c.pastLen + c.S;
  const rowEl = c.Hkv * c.hd;
  const cache = createKvCache(device, { capacity: T + capacityExtra, Hkv: c.Hkv, hd: c.hd, dtype });
  const bufs: GPUBuffer[] = [];
  const mk = (x: Float32Array, label: string) => { const b = toBuf(device, x, dtype, label); bufs.push(b); return b; };
  let mask: KeyMask | undefined;
  try {
    return await expectNoGpuError(device, async () => {
      const rec = new Recorder(device);
      if (c.pastLen > 0) {
        encodeKvAppend(rec, cache, mk(c.k.subarray(0, c.pastLen * rowEl), 'kPast'), mk(c.v.subarray(0, c.pastLen * rowEl), 'vPast'), c.pastLen);
      }
      encodeKvAppend(rec, cache, mk(c.k.subarray(c.pastLen * rowEl), 'kNew'), mk(c.v.subarray(c.pastLen * rowEl), 'vNew'), c.S);
      const el = dtype === 'f16' ? 2 : 4;
      const out = device.createBuffer({ size: Math.ceil((c.S * c.Hq * c.hd * el) / 4) * 4, usage: STORAGE_RW });
      const lse = device.createBuffer({ size: c.S * c.Hq * 4, usage: STORAGE_RW });
      bufs.push(out, lse);
      if (c.hidden) mask = createKeyMask(device, cache.capacity, c.hidden);
      encodeAttention(rec, {
        q: mk(c.q, 'q'), S: c.S, Hq: c.Hq, cache, out, lse,
        bidirectionalBlock: c.block, keyMask: mask, scale: c.scale, variant: c.variant,
      });
      rec.submit();
      const n = c.S * c.Hq * c.hd;
      const o = dtype === 'f16' ? fromF16(await readU16(device, out, n)) : await readF32(device, out, n);
      return { out: o, lse: await readF32(device, lse, c.S * c.Hq) };
    });
  } finally {
    destroyKvCache(cache);
    mask?.buffer.destroy();
    for (const b of bufs) b.destroy();
  }
}

function refFor(c: Case) {
  const r16 = c.dtype === 'f16' ? roundF16 : (x: Float32Array) => x;
  return attentionRef({
    q: r16(c.q), k: r16(c.k), v: r16(c.v), S: c.S, Hq: c.Hq, Hkv: c.Hkv, hd: c.hd, pastLen: c.pastLen,
    scale: c.scale, bidirectionalBlock: c.block, hiddenKeys: c.hidden,
  });
}

const VARIANTS: AttentionVariant[] = ['decode', 'prefill'];

/** Compare out and lse; the GPU writes lse = -1e30 for a row with no visible key (ref: -Infinity). */
function compare(label: string, c: Case, gpu: { out: Float32Array; lse: Float32Array }, atol: number, rtol: number) {
  const ref = refFor(c);
  const lseRef = Array.from(ref.lse, (x) => (x === -Infinity ? -1e30 : x));
  const a = checkClose(`${label} out`, gpu.out, ref.out, atol, rtol);
  const b = checkClose(`${label} lse`, gpu.lse, lseRef, atol, rtol);
  expect(a.ok, `${label} out: ${a.bad} mismatches, first ${a.first[0]}`).toBe(true);
  expect(b.ok, `${label} lse: ${b.bad} mismatches, first ${b.first[0]}`).toBe(true);
}

function randomCase(seed: number, over: Partial<Case> = {}): Case {
  const r = rng(seed);
  const Hkv = over.Hkv ?? randInt(r, 1, 3);
  const Hq = over.Hq ?? Hkv * randInt(r, 1, 3);
  const dtype = over.dtype ?? 'f32';
  let hd = over.hd ?? randInt(r, 1, 40);
  if (dtype === 'f16' && hd % 2) hd++;
  const S = over.S ?? randInt(r, 1, 9);
  const pastLen = over.pastLen ?? randInt(r, 0, 75);
  const T = pastLen + S;
  // Outliers only in q: large but realistic logits, so softmax is peaked without fp32 dot-product
  // error dominating (llm.c multiplies the logits themselves by 20).
  return {
    S, Hq, Hkv, hd, pastLen, dtype,
    q: randn(r, S * Hq * hd, 0.1, 20), k: randn(r, T * Hkv * hd), v: randn(r, T * Hkv * hd),
    ...over,
  };
}

describe('attention kernel (fp32)', () => {
  it('both entry points compile (async, so a WGSL error reads as a message)', async () => {
    const device = await testDevice();
    for (const hd of [4, 32, 255, 256]) await warmAttention(device, hd);
    await warmAttention(device, 32, 'f16');
  });

  it('fixed debug case: 3 rows, 2 query heads sharing 1 KV head, hd 4, causal', async () => {
    const device = await testDevice();
    const c: Case = {
      S: 3, Hq: 2, Hkv: 1, hd: 4, pastLen: 0, scale: 0.5,
      q: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, /**/ 1, 1, 0, 0, 0, 0, 1, 0, /**/ 2, 0, 0, 1, 0, 0, 0, 3]),
      k: Float32Array.from([1, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 0, 0, 1, 1]),
      v: Float32Array.from([1, 2, 3, 4, /**/ -1, 0, 1, 0, /**/ 10, 0, 0, -10]),
    };
    const gpu = await runGpu(device, c);
    // Row 0 sees only key 0: output = v[0] exactly, lse = score = 0.5 * q.k0.
    expect(Array.from(gpu.out.subarray(0, 8))).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(gpu.lse[0]).toBeCloseTo(0.5, 6);
    expect(gpu.lse[1]).toBeCloseTo(0, 6);
    // Row 1 head 0: scores 0.5*[1, 1] -> equal weights -> mean of v0, v1.
    expect(Array.from(gpu.out.subarray(8, 12))).toEqual([0, 1, 2, 2]);
    compare('debug', c, gpu, 1e-6, 1e-6);
  });

  it('random shapes, causal prefill and decode, GQA, odd head dims, past lengths across tiles', async () => {
    const device = await testDevice();
    for (let seed = 1; seed <= 12; seed++) {
      // S up to 140: prefill row blocks of 64 and staged key tiles with remainders.
      const c = randomCase(seed, seed % 4 === 0 ? { S: 1 } : seed % 3 === 0 ? { S: randInt(rng(seed), 10, 140) } : {});
      for (const variant of VARIANTS) {
        const label = `seed ${seed} ${variant} S=${c.S} Hq=${c.Hq} Hkv=${c.Hkv} hd=${c.hd} past=${c.pastLen}`;
        compare(label, c, await runGpu(device, { ...c, variant }), 2e-5, 2e-4);
      }
    }
  });

  it('bidirectional block (pass 1 option) and hidden keys (summary-token masking)', async () => {
    const device = await testDevice();
    for (let seed = 20; seed < 28; seed++) {
      const r = rng(seed * 7);
      const base = randomCase(seed, { S: randInt(rng(seed), 3, 12) });
      const T = base.pastLen + base.S;
      const start = randInt(r, 0, T - 2);
      const end = randInt(r, start + 1, T);
      const hidden = [...new Set(Array.from({ length: randInt(r, 1, 6) }, () => randInt(r, 0, T - 1)))];
      const c: Case = { ...base, block: seed % 2 ? { start, end } : undefined, hidden: seed % 3 ? hidden : undefined };
      for (const variant of VARIANTS) {
        const label = `seed ${seed} ${variant} block=${JSON.stringify(c.block)} hidden=${c.hidden}`;
        compare(label, c, await runGpu(device, { ...c, variant }), 2e-5, 2e-4);
      }
    }
  });

  it('the pass-1 layout: V vision tokens, prompt, K summary tokens with a bidirectional prompt+summary block', async () => {
    const device = await testDevice();
    const V = 70, P = 5, K = 4; // V crosses a 64-key tile
    const c = randomCase(99, { S: V + P + K, pastLen: 0, Hq: 4, Hkv: 2, hd: 16 });
    c.block = { start: V, end: V + P + K };
    for (const variant of VARIANTS) compare(`pass1 bidirectional ${variant}`, c, await runGpu(device, { ...c, variant }), 2e-5, 2e-4);
  });

  it('rows with no visible key give zeros and lse = -1e30, not NaN', async () => {
    const device = await testDevice();
    const c = randomCase(5, { S: 4, pastLen: 0, Hq: 2, Hkv: 1, hd: 8, hidden: [0, 1] });
    for (const variant of VARIANTS) {
      const gpu = await runGpu(device, { ...c, variant });
      // Rows 0 and 1 only see keys 0 and 1, both hidden.
      expect(Array.from(gpu.out.subarray(0, 2 * 2 * 8)).every((x) => x === 0)).toBe(true);
      expect(Array.from(gpu.lse.subarray(0, 4))).toEqual([-1e30, -1e30, -1e30, -1e30].map(Math.fround));
      compare(`masked rows ${variant}`, c, gpu, 2e-5, 2e-4);
    }
  });

  it('outlier logits (|score| ~ 1e3) stay finite and match', async () => {
    const device = await testDevice();
    const c = randomCase(7, { S: 5, pastLen: 67, Hq: 2, Hkv: 2, hd: 12 });
    for (let i = 0; i < c.q.length; i++) c.q[i] *= 50;
    for (const variant of VARIANTS) {
      const gpu = await runGpu(device, { ...c, variant });
      expect(gpu.out.every(Number.isFinite)).toBe(true);
      compare(`outliers ${variant}`, c, gpu, 1e-4, 1e-3);
    }
  });

  it('largest head dim (256) and an odd one (255)', async () => {
    const device = await testDevice();
    for (const hd of [256, 255]) {
      const c = randomCase(hd, { S: 2, pastLen: 3, Hq: 2, Hkv: 1, hd });
      for (const variant of VARIANTS) compare(`hd ${hd} ${variant}`, c, await runGpu(device, { ...c, variant }), 2e-5, 2e-4);
    }
  });

  it('token-by-token decode against the cache equals one prefill (cached == uncached)', async () => {
    const device = await testDevice();
    const Hq = 4, Hkv = 2, hd = 10, T = 9;
    const r = rng(42);
    const q = randn(r, T * Hq * hd, 0.1), k = randn(r, T * Hkv * hd), v = randn(r, T * Hkv * hd);
    const prefill = await runGpu(device, { S: T, Hq, Hkv, hd, pastLen: 0, q, k, v, variant: 'prefill' });
    const cache = createKvCache(device, { capacity: T, Hkv, hd });
    const out = device.createBuffer({ size: Hq * hd * 4, usage: STORAGE_RW });
    const bufs: GPUBuffer[] = [out];
    try {
      for (let t = 0; t < T; t++) {
        const rec = new Recorder(device);
        const kb = upload(device, k.subarray(t * Hkv * hd, (t + 1) * Hkv * hd));
        const vb = upload(device, v.subarray(t * Hkv * hd, (t + 1) * Hkv * hd));
        const qb = upload(device, q.subarray(t * Hq * hd, (t + 1) * Hq * hd));
        bufs.push(kb, vb, qb);
        encodeKvAppend(rec, cache, kb, vb, 1);
        encodeAttention(rec, { q: qb, S: 1, Hq, cache, out });
        rec.submit();
        const step = await readF32(device, out, Hq * hd);
        const rep = checkClose(`decode step ${t}`, step, prefill.out.subarray(t * Hq * hd, (t + 1) * Hq * hd), 1e-6, 1e-5);
        expect(rep.ok).toBe(true);
      }
      expect(cache.length).toBe(T);
    } finally {
      destroyKvCache(cache);
      for (const b of bufs) b.destroy();
    }
  });

  it('guards: GQA divisibility, head dim, cache overflow, bad block, undersized buffers, dispatch limits', async () => {
    const device = await testDevice();
    const cache = createKvCache(device, { capacity: 8, Hkv: 2, hd: 4 });
    const small = device.createBuffer({ size: 16, usage: STORAGE_RW });
    const big = device.createBuffer({ size: 1024, usage: STORAGE_RW });
    try {
      const rec = new Recorder(device);
      encodeKvAppend(rec, cache, big, big, 3);
      expect(() => attentionParams(device, { q: big, S: 3, Hq: 3, cache, out: big })).toThrow(KernelShapeError); // 3 % 2
      expect(() => attentionParams(device, { q: small, S: 3, Hq: 2, cache, out: big })).toThrow(/q: buffer/);
      expect(() => attentionParams(device, { q: big, S: 4, Hq: 2, cache, out: big })).toThrow(KernelShapeError); // S > length
      expect(() => attentionParams(device, { q: big, S: 3, Hq: 2, cache, out: big, bidirectionalBlock: { start: 2, end: 9 } })).toThrow(KernelShapeError);
      expect(() => encodeKvAppend(rec, cache, big, big, 6)).toThrow(KernelShapeError); // 3 + 6 > capacity 8
      expect(() => createKvCache(device, { capacity: 4, Hkv: 1, hd: 257 })).toThrow(KernelShapeError);
      expect(() => createKvCache(device, { capacity: 4, Hkv: 1, hd: 3, dtype: 'f16' })).toThrow(KernelShapeError);
      const tiny = { limits: { ...limitsOf(device), maxComputeWorkgroupsPerDimension: 2 } } as unknown as GPUDevice;
      const fake: KvCache = { ...cache, device: tiny };
      expect(() => attentionParams(tiny, { q: big, S: 3, Hq: 2, cache: fake, out: big })).toThrow(KernelLimitError);
      rec.submit();
    } finally {
      destroyKvCache(cache); small.destroy(); big.destroy();
    }
  });
});

function limitsOf(device: GPUDevice): Record<string, number> {
  const o: Record<string, number> = {};
  for (const k in device.limits) o[k] = (device.limits as unknown as Record<string, number>)[k];
  return o;
}

describe('attention kernel (fp16 storage, fp32 accumulation)', () => {
  // The f16 variant reads/writes raw half bits with core unpack2x16float/pack2x16float, so it needs no
  // 'shader-f16' and runs (and is tested) on SwiftShader too.
  it('random shapes and masks match the reference on fp16-rounded inputs', async () => {
    const device = await testDevice();
    for (let seed = 60; seed < 68; seed++) {
      const r = rng(seed + 1000);
      const c = randomCase(seed, { dtype: 'f16', ...(seed % 4 === 0 ? { S: 70 } : {}) });
      const T = c.pastLen + c.S;
      if (seed % 2) c.hidden = [randInt(r, 0, T - 1)];
      if (seed % 3 === 0) c.block = { start: Math.max(0, T - c.S - 2), end: T };
      // Output is rounded to fp16: rtol 2^-10 plus a little for the fp32 path.
      for (const variant of VARIANTS) {
        compare(`f16 seed ${seed} ${variant} S=${c.S} hd=${c.hd} past=${c.pastLen}`, c, await runGpu(device, { ...c, variant }), 1e-3, 2e-3);
      }
    }
  });
});
