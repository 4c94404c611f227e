// Float64 reference for attentionMap.wgsl: softmax probabilities from attentionRef, summed over heads
// and layers with a weight, for a block of query rows x a block of keys, then reduced over rows.
import { attentionRef, type AttentionRefInput } from './attention.ref';

export interface AttentionMapRefInput {
  layers: AttentionRefInput[]; // one attention call per layer (same S, pastLen, masks)
  rowStart: number;
  rowCount: number;
  keyStart: number;
  keyCount: number;
  /** Per-layer multiplier of the head sum; default 1 / (Hq * layers) (mean over heads and layers). */
  weight?: number;
}

/** accum (rowCount, keyCount) and its mean over rows (keyCount). */
export function attentionMapRef(x: AttentionMapRefInput): { accum: Float64Array; heat: Float64Array } {
  const { rowStart, rowCount, keyStart, keyCount } = x;
  const accum = new Float64Array(rowCount * keyCount);
  for (const L of x.layers) {
    const w = x.weight ?? 1 / (L.Hq * x.layers.length);
    const T = L.pastLen + L.S;
    const { probs } = attentionRef(L); // (S, Hq, T)
    for (let r = 0; r < rowCount; r++) {
      for (let h = 0; h < L.Hq; h++) {
        const po = ((rowStart + r) * L.Hq + h) * T;
        for (let c = 0; c < keyCount; c++) accum[r * keyCount + c] += w * probs[po + keyStart + c];
      }
    }
  }
  const heat = new Float64Array(keyCount);
  for (let r = 0; r < rowCount; r++) for (let c = 0; c < keyCount; c++) heat[c] += accum[r * keyCount + c] / rowCount;
  return { accum, heat };
}
