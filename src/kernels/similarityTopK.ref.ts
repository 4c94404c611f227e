// Float64 reference for similarityTopK.wgsl, and the plain JS scan the benchmark compares against.

/** Cosine/dot scores (N) of one query against rows (N, d), float64. */
export function scoresRef(query: ArrayLike<number>, qOffset: number, rows: ArrayLike<number>, N: number, d: number, normalize: boolean): Float64Array {
  const out = new Float64Array(N);
  let qq = 0;
  for (let e = 0; e < d; e++) qq += query[qOffset + e] * query[qOffset + e];
  for (let r = 0; r < N; r++) {
    let dot = 0, xx = 0;
    for (let e = 0; e < d; e++) {
      const x = rows[r * d + e];
      dot += query[qOffset + e] * x;
      xx += x * x;
    }
    out[r] = normalize ? dot / Math.sqrt(Math.max(xx, 1e-30) * Math.max(qq, 1e-30)) : dot;
  }
  return out;
}

/** Top-k of each query: higher score first, ties by lower index; -1 / -Infinity pad when k > N. */
export function similarityTopKRef(queries: ArrayLike<number>, Q: number, rows: ArrayLike<number>, N: number, d: number, k: number, normalize = false): { scores: Float64Array; indices: Int32Array } {
  const scores = new Float64Array(Q * k).fill(-Infinity);
  const indices = new Int32Array(Q * k).fill(-1);
  for (let q = 0; q < Q; q++) {
    const s = scoresRef(queries, q * d, rows, N, d, normalize);
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => (s[b] - s[a]) || (a - b));
    for (let r = 0; r < Math.min(k, N); r++) {
      scores[q * k + r] = s[order[r]];
      indices[q * k + r] = order[r];
    }
  }
  return { scores, indices };
}

/**
 * The CPU baseline a browser would otherwise run: one pass over fp32 rows keeping a sorted top-k list
 * (insertion), float32 storage, JS number arithmetic. Used by the benchmark, not as a test oracle.
 */
export function jsScanTopK(query: Float32Array, rows: Float32Array, N: number, d: number, k: number): { scores: Float32Array; indices: Int32Array } {
  const bestS = new Float32Array(k).fill(-Infinity);
  const bestI = new Int32Array(k).fill(-1);
  let kth = -Infinity;
  for (let r = 0; r < N; r++) {
    let dot = 0;
    const o = r * d;
    for (let e = 0; e < d; e++) dot += query[e] * rows[o + e];
    if (dot <= kth) continue;
    let p = k - 1;
    while (p > 0 && bestS[p - 1] < dot) { bestS[p] = bestS[p - 1]; bestI[p] = bestI[p - 1]; p--; }
    bestS[p] = dot;
    bestI[p] = r;
    kth = bestS[k - 1];
  }
  return { scores: bestS, indices: bestI };
}
