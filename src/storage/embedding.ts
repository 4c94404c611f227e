// The search embedding of a photo: the L2-normalised mean of its K summary tokens (METHOD.md,
// "e_v = mean over K of H_v^c", compared by cosine similarity), stored as fp16 bits.
// Pure: no browser or Node APIs.

import { f16ArrayToF32, f32ToF16Bits } from '../shared/fp16';

/**
 * tokens: (K, d) fp16 bits -> (d,) fp16 bits, the mean over K divided by its L2 norm.
 * The mean and the norm accumulate in float64; an all-zero mean stays all zeros.
 */
export function meanEmbedding(tokens: Uint16Array, K: number, d: number): Uint16Array {
  if (tokens.length !== K * d) throw new RangeError(`meanEmbedding: ${tokens.length} values, (K, d) = (${K}, ${d}) needs ${K * d}`);
  const x = f16ArrayToF32(tokens); // (K, d) fp32
  const mean = new Float64Array(d); // (d,)
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) mean[j] += x[k * d + j];
  let sq = 0;
  for (let j = 0; j < d; j++) {
    mean[j] /= K;
    sq += mean[j] * mean[j];
  }
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  const out = new Uint16Array(d); // (d,) fp16
  for (let j = 0; j < d; j++) out[j] = f32ToF16Bits(mean[j] * inv);
  return out;
}
