// Ranking by cosine similarity, on the CPU: N stored embeddings (unit length) against one query. For 10k
// photos and d = 256 this is 2.6M multiply-adds, a few milliseconds, so the main thread does it.
// Pure: no browser APIs.

export interface Ranked {
  index: number;
  score: number;
}

/** L2-normalised copy (zeros stay zeros). */
export function normalize(v: ArrayLike<number>): Float32Array {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

/**
 * The `topK` rows of `rows` (N, d) row-major, unit length, most similar to `query` (d,), best first, keeping
 * only scores >= threshold. Ties keep the lower index first. `skip` leaves a row out (the query photo).
 */
export function topKCosine(rows: Float32Array, d: number, query: Float32Array, topK: number, threshold = -Infinity, skip = -1): Ranked[] {
  if (query.length !== d) throw new RangeError(`topKCosine: query has ${query.length} values, d = ${d}`);
  const q = normalize(query);
  const n = d === 0 ? 0 : rows.length / d;
  const best: Ranked[] = [];
  for (let i = 0; i < n; i++) {
    if (i === skip) continue;
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) s += rows[o + j] * q[j];
    if (s < threshold) continue;
    if (best.length === topK && s <= best[best.length - 1].score) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].score < s) at--;
    best.splice(at, 0, { index: i, score: s });
    if (best.length > topK) best.pop();
  }
  return best;
}
