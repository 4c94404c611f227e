// Text search over stored photo embeddings: rank by cosine similarity (rows and query are L2-normalised, so
// a dot product). The plain JS scan lives here (Node, wasm); the browser worker plugs in the WebGPU
// similarityTopK kernel through the TopKFn hook.

import { f16ArrayToF32 } from '../../shared/fp16';
import type { EmbeddingMatrix } from '../../storage/vectors';

export interface SearchHit {
  photoId: string;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

export interface TopK {
  indices: Int32Array; // (k,) row indices, best first; -1 pads when k > N
  scores: Float32Array; // (k,)
}

/** Top-k of query (d,) against rows (N, d): best first, ties by lower index. */
export type TopKFn = (query: Float32Array, k: number) => Promise<TopK>;

/** A gallery ready to search on the CPU: rows converted to fp32 once. */
export class Gallery {
  readonly rows: Float32Array; // (N, d) fp32
  readonly photoIds: readonly string[];
  readonly d: number;
  readonly modelId: string;

  constructor(m: EmbeddingMatrix) {
    if (m.data.length !== m.photoIds.length * m.d) throw new RangeError(`gallery holds ${m.data.length} values for ${m.photoIds.length} photos of d=${m.d}`);
    this.rows = f16ArrayToF32(m.data);
    this.photoIds = m.photoIds;
    this.d = m.d;
    this.modelId = m.modelId;
  }

  get size(): number {
    return this.photoIds.length;
  }

  /** The JS scan: float64 dot products, a sorted top-k list. */
  topK(query: Float32Array, k: number): TopK {
    const { rows, d } = this;
    const N = this.size;
    if (query.length !== d) throw new RangeError(`query has ${query.length} values, the gallery d = ${d}`);
    const bestS = new Float64Array(k).fill(-Infinity);
    const bestI = new Int32Array(k).fill(-1);
    for (let r = 0; r < N; r++) {
      let dot = 0;
      const o = r * d;
      for (let e = 0; e < d; e++) dot += query[e] * rows[o + e];
      if (!(dot > bestS[k - 1])) continue; // ties keep the earlier row
      let p = k - 1;
      while (p > 0 && bestS[p - 1] < dot) { bestS[p] = bestS[p - 1]; bestI[p] = bestI[p - 1]; p--; }
      bestS[p] = dot;
      bestI[p] = r;
    }
    return { indices: bestI, scores: Float32Array.from(bestS) };
  }
}

/** Ranks the gallery for `query` (d,); `topK` defaults to the JS scan. */
export async function searchGallery(gallery: Gallery, query: Float32Array, k: number, topK?: TopKFn): Promise<SearchHit[]> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const kk = Math.min(k, gallery.size);
  if (kk === 0) return [];
  const r = topK ? await topK(query, kk) : gallery.topK(query, kk);
  const hits: SearchHit[] = [];
  for (let i = 0; i < kk; i++) if (r.indices[i] >= 0) hits.push({ photoId: gallery.photoIds[r.indices[i]], score: r.scores[i] });
  return hits;
}
