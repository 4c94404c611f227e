// attentionMap.wgsl vs the float64 reference: a pass-1 sequence (vision, prompt, summary tokens) over
// several layers, GQA, masks, vision counts that are not multiples of 64, fp32 and fp16 storage, plus a
// hand-computed debug case and the "probabilities sum to 1" property.
import { describe, expect, it } from 'vitest';
import { createKeyMask, createKvCache, destroyKvCache, encodeAttention, encodeKvAppend, type KeyMask } from '../../../src/kernels/attention';
import {
  createAttentionMap, encodeAttentionMapAccumulate, encodeAttentionMapReduce, readAccum, readHeat,
} from '../../../src/kernels/attentionMap';
import { attentionMapRef } from '../../../src/kernels/attentionMap.ref';
import type { AttentionRefInput } from '../../../src/kernels/attention.ref';
import { Recorder, STORAGE_RW } from '../../../src/gpu/buffers';
import { KernelShapeError, type Dtype } from '../../../src/kernels/checks';
import { roundF16, toF16 } from '../../../src/kernels/f16';
import { checkClose, expectNoGpuError, randInt, randn, rng, testDevice, upload } from './util';

interface MapCase {
  layers: { q: Float32Array; k: Float32Array; v: Float32Array }[];
  S: number; Hq: number; Hkv: number; hd: number;
  rowStart: number; rowCount: number; keyStart: number; keyCount: number;
  block?: { start: number; end: number }; hidden?: number[]; dtype?: Dtype; scale?: number;
}

async function runMap(device: GPUDevice, c: MapCase, reduce: { rowStart?: number; rowEnd?: number; mode?: 'mean' | 'sum' } = {}) {
  const dtype = c.dtype ?? 'f32';
  const conv = (x: Float32Array) => (dtype === 'f16' ? toF16(x) : x);
  const map = createAttentionMap(device, c.rowCount, c.keyCount);
  const owned: GPUBuffer[] = [];
  const up = (x: Float32Array) => { const b = upload(device, conv(x), STORAGE_RW); owned.push(b); return b; };
  let mask: KeyMask | undefined;
  const caches = c.layers.map(() => createKvCache(device, { capacity: c.S, Hkv: c.Hkv, hd: c.hd, dtype }));
  try {
    return await expectNoGpuError(device, async () => {
      if (c.hidden) mask = createKeyMask(device, c.S, c.hidden);
      const rec = new Recorder(device);
      map.clear(rec);
      c.layers.forEach((L, li) => {
        const cache = caches[li];
        const q = up(L.q);
        encodeKvAppend(rec, cache, up(L.k), up(L.v), c.S);
        const out = rec.transient(c.S * c.Hq * c.hd * 4);
        const lse = rec.transient(c.S * c.Hq * 4);
        const common = { q, S: c.S, Hq: c.Hq, cache, bidirectionalBlock: c.block, keyMask: mask, scale: c.scale };
        encodeAttention(rec, { ...common, out, lse });
        encodeAttentionMapAccumulate(rec, {
          ...common, lse, map, rows: { start: c.rowStart }, keys: { start: c.keyStart },
          weight: 1 / (c.Hq * c.layers.length),
        });
      });
      encodeAttentionMapReduce(rec, map, reduce);
      rec.submit();
      return { accum: await readAccum(device, map), heat: await readHeat(device, map) };
    });
  } finally {
    map.destroy();
    mask?.buffer.destroy();
    caches.forEach(destroyKvCache);
    owned.forEach((b) => b.destroy());
  }
}

function refMap(c: MapCase) {
  const r = c.dtype === 'f16' ? roundF16 : (x: Float32Array) => x;
  const layers: AttentionRefInput[] = c.layers.map((L) => ({
    q: r(L.q), k: r(L.k), v: r(L.v), S: c.S, Hq: c.Hq, Hkv: c.Hkv, hd: c.hd, pastLen: 0,
    bidirectionalBlock: c.block, hiddenKeys: c.hidden, scale: c.scale,
  }));
  return attentionMapRef({ layers, rowStart: c.rowStart, rowCount: c.rowCount, keyStart: c.keyStart, keyCount: c.keyCount });
}

/** V vision tokens, P prompt tokens, K summary tokens; the map is summary rows x vision keys. */
function pass1Case(seed: number, o: Partial<MapCase> & { V?: number; P?: number; K?: number; nLayers?: number } = {}): MapCase {
  const r = rng(seed);
  const V = o.V ?? randInt(r, 1, 80), P = o.P ?? randInt(r, 0, 4), K = o.K ?? randInt(r, 1, 5);
  const Hkv = o.Hkv ?? randInt(r, 1, 2), Hq = o.Hq ?? Hkv * randInt(r, 1, 3);
  let hd = o.hd ?? randInt(r, 2, 24);
  if ((o.dtype ?? 'f32') === 'f16' && hd % 2) hd++;
  const S = V + P + K;
  const layers = Array.from({ length: o.nLayers ?? 3 }, () => ({
    q: randn(r, S * Hq * hd, 0.1, 10), k: randn(r, S * Hkv * hd), v: randn(r, S * Hkv * hd),
  }));
  return { layers, S, Hq, Hkv, hd, rowStart: V + P, rowCount: K, keyStart: 0, keyCount: V, ...o };
}

function expectClose(label: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number) {
  const rep = checkClose(label, gpu, ref, atol, rtol);
  expect(rep.ok, `${label}: ${rep.bad} mismatches, first ${rep.first[0]}`).toBe(true);
}

describe('attention map kernel', () => {
  it('fixed debug case: 2 vision tokens, 1 summary token, 1 head, 1 layer', async () => {
    const device = await testDevice();
    // Summary row (position 2) scores: q.k = [1, 0, 0] -> p = [e, 1, 1] / (e + 2).
    const c: MapCase = {
      layers: [{ q: Float32Array.from([0, 0, 0, 0, 1, 0]), k: Float32Array.from([1, 0, 0, 0, 0, 0]), v: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      S: 3, Hq: 1, Hkv: 1, hd: 2, scale: 1, rowStart: 2, rowCount: 1, keyStart: 0, keyCount: 2,
    };
    const g = await runMap(device, c);
    const e = Math.E;
    expectClose('debug heat', g.heat, [e / (e + 2), 1 / (e + 2)], 1e-6, 1e-6);
  });

  it('random pass-1 sequences over 3 layers, GQA, vision counts not multiples of 64', async () => {
    const device = await testDevice();
    for (let seed = 1; seed <= 6; seed++) {
      const c = pass1Case(seed);
      const g = await runMap(device, c);
      const ref = refMap(c);
      const label = `seed ${seed} S=${c.S} V=${c.keyCount} K=${c.rowCount} Hq=${c.Hq} Hkv=${c.Hkv} hd=${c.hd}`;
      expectClose(`${label} accum`, g.accum, ref.accum, 1e-6, 1e-4);
      expectClose(`${label} heat`, g.heat, ref.heat, 1e-6, 1e-4);
    }
  });

  it('bidirectional prompt+summary block and hidden keys (a vision patch and a summary token)', async () => {
    const device = await testDevice();
    for (let seed = 10; seed < 14; seed++) {
      const c = pass1Case(seed, { V: 67, P: 3, K: 4 });
      c.block = { start: 67, end: c.S };
      c.hidden = [5, 66, c.S - 2];
      const g = await runMap(device, c);
      const ref = refMap(c);
      expectClose(`seed ${seed} accum`, g.accum, ref.accum, 1e-6, 1e-4);
      expect(g.accum[5]).toBe(0); // hidden patch contributes nothing
      expect(g.accum[66]).toBe(0);
    }
  });

  it('per-token maps and sum mode: reduce over one summary row', async () => {
    const device = await testDevice();
    const c = pass1Case(21, { V: 30, P: 2, K: 4 });
    const g = await runMap(device, c, { rowStart: 2, rowEnd: 3, mode: 'sum' });
    const ref = refMap(c);
    expectClose('row 2', g.heat, ref.accum.subarray(2 * 30, 3 * 30), 1e-6, 1e-4);
  });

  it('property: with every key in the map, each summary row sums to 1 (mean over heads and layers)', async () => {
    const device = await testDevice();
    const c = pass1Case(31, { V: 20, P: 2, K: 3 });
    c.keyCount = c.S; // all keys
    const g = await runMap(device, c);
    for (let r = 0; r < c.rowCount; r++) {
      let s = 0;
      for (let j = 0; j < c.keyCount; j++) s += g.accum[r * c.keyCount + j];
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
  });

  it('fp16 storage', async () => {
    const device = await testDevice();
    for (let seed = 40; seed < 43; seed++) {
      const c = pass1Case(seed, { dtype: 'f16' });
      const g = await runMap(device, c);
      const ref = refMap(c);
      expectClose(`f16 seed ${seed} accum`, g.accum, ref.accum, 1e-5, 1e-3);
    }
  });

  it('guards: rows/keys outside the sequence', async () => {
    const device = await testDevice();
    const cache = createKvCache(device, { capacity: 10, Hkv: 1, hd: 4 });
    const map = createAttentionMap(device, 3, 8);
    const b = device.createBuffer({ size: 1024, usage: STORAGE_RW });
    try {
      const rec = new Recorder(device);
      encodeKvAppend(rec, cache, b, b, 10);
      const base = { q: b, S: 10, Hq: 1, cache, lse: b, map, weight: 1 };
      expect(() => encodeAttentionMapAccumulate(rec, { ...base, rows: { start: 8 }, keys: { start: 0 } })).toThrow(KernelShapeError);
      expect(() => encodeAttentionMapAccumulate(rec, { ...base, rows: { start: 0 }, keys: { start: 3 } })).toThrow(KernelShapeError);
      expect(() => encodeAttentionMapReduce(rec, map, { rowStart: 2, rowEnd: 2 })).toThrow(KernelShapeError);
      rec.submit();
    } finally {
      destroyKvCache(cache); map.destroy(); b.destroy();
    }
  });
});
