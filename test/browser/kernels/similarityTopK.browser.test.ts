// similarityTopK.wgsl vs the float64 reference: N not a multiple of the 256-row tile, fp16 and fp32
// stores, k = 1..256, k > N, duplicate scores (ties by lower index), forced-small chunks (chunking and
// several merge rounds on a small N), query batching, an empty store, growth on append, the guards.
import { describe, expect, it } from 'vitest';
import {
  appendEmbeddings, createEmbeddingStore, destroyEmbeddingStore, searchTopK, truncateEmbeddings, writeEmbeddings,
  type EmbeddingStore, type TopKResult,
} from '../../../src/kernels/similarityTopK';
import { similarityTopKRef } from '../../../src/kernels/similarityTopK.ref';
import { KernelShapeError, type Dtype } from '../../../src/kernels/checks';
import { roundF16 } from '../../../src/kernels/f16';
import { randInt, randn, rng, testDevice, expectNoGpuError } from './util';

function normalizeRows(x: Float32Array, d: number): Float32Array {
  for (let r = 0; r < x.length / d; r++) {
    let n = 0;
    for (let e = 0; e < d; e++) n += x[r * d + e] ** 2;
    n = Math.sqrt(n) || 1;
    for (let e = 0; e < d; e++) x[r * d + e] /= n;
  }
  return x;
}

/**
 * GPU fp32 dots may reorder near-ties relative to float64, so per rank: the score matches the
 * reference's score at that rank, the row the GPU chose has (in float64) that same score within tol,
 * and no row repeats. Exact index agreement is also counted and must be (nearly) total.
 */
function expectTopK(label: string, gpu: TopKResult, ref: { scores: Float64Array; indices: Int32Array }, allScores: (q: number, i: number) => number, tol: number) {
  const { Q, k } = gpu;
  let exact = 0;
  for (let q = 0; q < Q; q++) {
    const seen = new Set<number>();
    for (let r = 0; r < k; r++) {
      const at = q * k + r;
      const gi = gpu.indices[at], ri = ref.indices[at];
      if (ri === -1) {
        expect(gi, `${label} q${q} rank ${r}: expected no row`).toBe(-1);
        expect(gpu.scores[at]).toBe(-Infinity);
        continue;
      }
      expect(gi, `${label} q${q} rank ${r}: missing row`).toBeGreaterThanOrEqual(0);
      expect(seen.has(gi), `${label} q${q}: row ${gi} twice`).toBe(false);
      seen.add(gi);
      if (gi === ri) exact++;
      const ok = Math.abs(gpu.scores[at] - ref.scores[at]) <= tol && Math.abs(allScores(q, gi) - ref.scores[at]) <= tol;
      if (!ok) console.error(`${label} q${q} rank ${r}: gpu row ${gi} score ${gpu.scores[at]} (ref score of that row ${allScores(q, gi)}), ref row ${ri} score ${ref.scores[at]}`);
      expect(ok, `${label} q${q} rank ${r}`).toBe(true);
    }
  }
  const valid = Array.from(ref.indices).filter((i) => i >= 0).length;
  expect(exact / Math.max(1, valid), `${label}: exact index agreement`).toBeGreaterThan(0.97);
}

interface Case { N: number; d: number; Q: number; k: number; dtype: Dtype; normalize?: boolean; rowsPerChunk?: number; queryBatch?: number; targetGroups?: number; seed: number }

async function runCase(device: GPUDevice, c: Case) {
  const r = rng(c.seed);
  const rows = randn(r, c.N * c.d);
  const queries = randn(r, c.Q * c.d);
  if (!c.normalize) { normalizeRows(rows, c.d); normalizeRows(queries, c.d); }
  const store = createEmbeddingStore(device, { d: c.d, dtype: c.dtype, rowsPerChunk: c.rowsPerChunk, initialCapacity: 16 });
  try {
    // Append in uneven pieces: exercises growth of the last chunk and chunk boundaries.
    for (let s = 0; s < c.N;) {
      const n = Math.min(c.N - s, randInt(r, 1, Math.max(1, Math.ceil(c.N / 3))));
      appendEmbeddings(store, rows.subarray(s * c.d, (s + n) * c.d));
      s += n;
    }
    expect(store.count).toBe(c.N);
    const gpu = await expectNoGpuError(device, () => searchTopK(store, queries, c.k, { normalize: c.normalize, queryBatch: c.queryBatch, targetGroups: c.targetGroups }));
    const seen = c.dtype === 'f16' ? roundF16(rows) : rows;
    const ref = similarityTopKRef(queries, c.Q, seen, c.N, c.d, c.k, c.normalize);
    const all = (q: number, i: number) => {
      let dot = 0, xx = 0, qq = 0;
      for (let e = 0; e < c.d; e++) { dot += queries[q * c.d + e] * seen[i * c.d + e]; xx += seen[i * c.d + e] ** 2; qq += queries[q * c.d + e] ** 2; }
      return c.normalize ? dot / Math.sqrt(xx * qq) : dot;
    };
    expectTopK(JSON.stringify(c), gpu, ref, all, 2e-5);
    return { gpu, store };
  } finally {
    destroyEmbeddingStore(store);
  }
}

describe('similarity top-k kernel', () => {
  it('fixed debug case: 5 rows, d 4, k 3', async () => {
    const device = await testDevice();
    const store = createEmbeddingStore(device, { d: 4, dtype: 'f32' });
    try {
      appendEmbeddings(store, Float32Array.from([
        1, 0, 0, 0, /**/ 0, 1, 0, 0, /**/ 0.6, 0.8, 0, 0, /**/ -1, 0, 0, 0, /**/ 0.8, 0.6, 0, 0,
      ]));
      const res = await searchTopK(store, Float32Array.from([1, 0, 0, 0]), 3);
      expect(Array.from(res.indices)).toEqual([0, 4, 2]);
      expect(Array.from(res.scores)).toEqual([1, Math.fround(0.8), Math.fround(0.6)]);
    } finally {
      destroyEmbeddingStore(store);
    }
  });

  it('random sizes not multiple of 256, fp32 and fp16 stores, several k and Q', async () => {
    const device = await testDevice();
    const cases: Case[] = [
      { N: 1, d: 8, Q: 1, k: 1, dtype: 'f32', seed: 1 },
      { N: 255, d: 13, Q: 2, k: 5, dtype: 'f32', seed: 2 },
      { N: 257, d: 16, Q: 1, k: 17, dtype: 'f16', seed: 3 },
      { N: 1000, d: 31, Q: 3, k: 100, dtype: 'f32', seed: 4 },
      { N: 3001, d: 24, Q: 2, k: 10, dtype: 'f16', seed: 5 },
      { N: 700, d: 10, Q: 2, k: 256, dtype: 'f16', seed: 6 },
      { N: 600, d: 9, Q: 2, k: 7, dtype: 'f32', normalize: true, seed: 7 },
      { N: 600, d: 12, Q: 1, k: 7, dtype: 'f16', normalize: true, seed: 8 },
    ];
    for (const c of cases) await runCase(device, c);
  });

  it('k > N pads with -1 / -Infinity', async () => {
    const device = await testDevice();
    const { gpu } = await runCase(device, { N: 7, d: 6, Q: 2, k: 10, dtype: 'f32', seed: 11 });
    expect(Array.from(gpu.indices.subarray(7, 10))).toEqual([-1, -1, -1]);
  });

  it('duplicate scores: ties go to the lower index, across tiles, groups and chunks', async () => {
    const device = await testDevice();
    const d = 8, N = 1500;
    const store = createEmbeddingStore(device, { d, dtype: 'f16', rowsPerChunk: 333 });
    try {
      // Rows: a few distinct vectors repeated, so many rows share exactly the same score.
      const r = rng(3);
      const protos = normalizeRows(randn(r, 4 * d), d);
      const rows = new Float32Array(N * d);
      for (let i = 0; i < N; i++) rows.set(protos.subarray((i % 4) * d, (i % 4 + 1) * d), i * d);
      appendEmbeddings(store, rows);
      const q = protos.slice(2 * d, 3 * d); // best proto is #2 -> rows 2, 6, 10, ...
      for (const targetGroups of [16, 1]) { // many groups and chunks, or one group over many tiles
        const res = await searchTopK(store, q, 50, { targetGroups });
        expect(Array.from(res.indices)).toEqual(Array.from({ length: 50 }, (_, i) => 2 + 4 * i));
        expect(new Set(res.scores).size).toBe(1);
      }
    } finally {
      destroyEmbeddingStore(store);
    }
  });

  it('forced small chunks: 20 chunks, two merge rounds (20 groups x k 256 > 4096 candidates)', async () => {
    const device = await testDevice();
    await runCase(device, { N: 2000, d: 8, Q: 2, k: 256, dtype: 'f32', rowsPerChunk: 100, seed: 21 });
    await runCase(device, { N: 1234, d: 6, Q: 3, k: 20, dtype: 'f16', rowsPerChunk: 257, seed: 22 });
  });

  it('one workgroup over many tiles: pending candidates overflow and flush mid-scan', async () => {
    const device = await testDevice();
    // Random rows, k = 256: the second tile already overflows the 256 pending slots.
    await runCase(device, { N: 2500, d: 8, Q: 2, k: 256, dtype: 'f32', targetGroups: 1, seed: 41 });
    await runCase(device, { N: 2100, d: 6, Q: 1, k: 33, dtype: 'f16', targetGroups: 1, seed: 42 });
    // Ascending scores (row i scores i / N): every tile beats everything before it.
    const N = 3000, d = 4, k = 100;
    const store = createEmbeddingStore(device, { d, dtype: 'f32' });
    try {
      const rows = new Float32Array(N * d);
      for (let i = 0; i < N; i++) rows[i * d] = i / N;
      appendEmbeddings(store, rows);
      const res = await searchTopK(store, Float32Array.from([1, 0, 0, 0]), k, { targetGroups: 1 });
      expect(Array.from(res.indices)).toEqual(Array.from({ length: k }, (_, i) => N - 1 - i));
    } finally {
      destroyEmbeddingStore(store);
    }
  });

  it('query batches of 1 give the same result as one batch', async () => {
    const device = await testDevice();
    const a = await runCase(device, { N: 900, d: 12, Q: 3, k: 9, dtype: 'f32', rowsPerChunk: 300, seed: 31 });
    const b = await runCase(device, { N: 900, d: 12, Q: 3, k: 9, dtype: 'f32', rowsPerChunk: 300, queryBatch: 1, seed: 31 });
    expect(Array.from(b.gpu.indices)).toEqual(Array.from(a.gpu.indices));
    expect(Array.from(b.gpu.scores)).toEqual(Array.from(a.gpu.scores));
  });

  it('empty store, overwrite and truncate', async () => {
    const device = await testDevice();
    const store: EmbeddingStore = createEmbeddingStore(device, { d: 4, dtype: 'f32' });
    try {
      const empty = await searchTopK(store, Float32Array.from([1, 0, 0, 0]), 3);
      expect(Array.from(empty.indices)).toEqual([-1, -1, -1]);
      appendEmbeddings(store, Float32Array.from([0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]));
      writeEmbeddings(store, 0, Float32Array.from([0.9, 0.1, 0, 0]));
      expect(Array.from((await searchTopK(store, Float32Array.from([1, 0, 0, 0]), 2)).indices)).toEqual([2, 0]);
      truncateEmbeddings(store, 2);
      expect(Array.from((await searchTopK(store, Float32Array.from([1, 0, 0, 0]), 3)).indices)).toEqual([0, 1, -1]);
    } finally {
      destroyEmbeddingStore(store);
    }
  });

  it('guards: k range, query length, fp16 with odd d, half bits into an fp32 store', async () => {
    const device = await testDevice();
    const store = createEmbeddingStore(device, { d: 4, dtype: 'f32' });
    try {
      appendEmbeddings(store, new Float32Array(8));
      await expect(searchTopK(store, new Float32Array(4), 0)).rejects.toThrow(KernelShapeError);
      await expect(searchTopK(store, new Float32Array(4), 257)).rejects.toThrow(KernelShapeError);
      await expect(searchTopK(store, new Float32Array(5), 3)).rejects.toThrow(KernelShapeError);
      expect(() => createEmbeddingStore(device, { d: 5, dtype: 'f16' })).toThrow(KernelShapeError);
      expect(() => appendEmbeddings(store, new Uint16Array(4))).toThrow(KernelShapeError);
    } finally {
      destroyEmbeddingStore(store);
    }
  });
});
