// Cosine top-k against a float64 brute force on random data (ties, threshold, the skipped row).
import { describe, expect, test } from 'vitest';
import { normalize, topKCosine } from './rank';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24 - 0.5;
}

function reference(rows: Float32Array, d: number, q: Float32Array, k: number, threshold: number, skip: number) {
  const n = rows.length / d;
  let qn = 0;
  for (const x of q) qn += x * x;
  const scores: { index: number; score: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (i === skip) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += rows[i * d + j] * (q[j] / Math.sqrt(qn));
    if (s >= threshold) scores.push({ index: i, score: s });
  }
  return scores.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
}

describe('topKCosine', () => {
  test.each([[1, 1, 1], [37, 5, 3], [1000, 32, 10], [257, 7, 300]])('n=%i d=%i k=%i matches the reference', (n, d, k) => {
    const r = rng(n * 31 + d);
    const rows = new Float32Array(n * d);
    for (let i = 0; i < n; i++) rows.set(normalize(Array.from({ length: d }, r)), i * d);
    const q = Float32Array.from({ length: d }, r);
    for (const [threshold, skip] of [[-Infinity, -1], [0.1, 3]] as const) {
      const got = topKCosine(rows, d, q, k, threshold, skip);
      const want = reference(rows, d, q, k, threshold, skip);
      expect(got.map((g) => g.index)).toEqual(want.map((w) => w.index));
      got.forEach((g, i) => expect(g.score).toBeCloseTo(want[i].score, 5));
    }
  });

  test('ties keep the lower index first; d mismatch throws', () => {
    const rows = Float32Array.from([1, 0, 1, 0, 0, 1]);
    expect(topKCosine(rows, 2, Float32Array.from([2, 0]), 3).map((x) => x.index)).toEqual([0, 1, 2]);
    expect(() => topKCosine(rows, 2, Float32Array.from([1]), 1)).toThrow(/d = 2/);
  });
});
