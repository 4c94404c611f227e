// ONNX graphs of onnxruntime's own attention ops (com.microsoft MultiHeadAttention and
// GroupQueryAttention) on the kernel's layouts, for the ORT comparison tests and the benchmark.
import { attr, buildModel, node, tensor } from '../../helpers/onnxBuilder';
import { visibleEnd } from '../../../src/kernels/attention.ref';

/**
 * MultiHeadAttention with an additive attention_bias (1, 1, S, T): the bias encodes any of our mask
 * modes (causal, bidirectional block, hidden keys), so one graph checks them all.
 *   query (1, S, H*hd), key/value (1, T, H*hd) -> output (1, S, H*hd)
 */
export function mhaModel(H: number, hd: number, scale: number): Uint8Array {
  return buildModel({
    opsets: { 'com.microsoft': 1 },
    inputs: [
      tensor('query', 'float32', [1, 'S', H * hd]),
      tensor('key', 'float32', [1, 'T', H * hd]),
      tensor('value', 'float32', [1, 'T', H * hd]),
      tensor('attention_bias', 'float32', [1, 1, 'S', 'T']),
    ],
    outputs: [tensor('output', 'float32', [1, 'S', H * hd])],
    nodes: [node('MultiHeadAttention', ['query', 'key', 'value', '', '', 'attention_bias'], ['output'], {
      domain: 'com.microsoft',
      attrs: { num_heads: attr.int(H), scale: attr.float(scale) },
    })],
  });
}

/** The additive mask for mhaModel: 0 where attention.wgsl lets query row i see key j, else -1e9. */
export function maskBias(S: number, pastLen: number, block?: { start: number; end: number }, hidden: readonly number[] = []): Float32Array {
  const T = pastLen + S;
  const bias = new Float32Array(S * T).fill(-1e9);
  const hid = new Set(hidden);
  for (let i = 0; i < S; i++) {
    const end = visibleEnd(pastLen + i, T, block);
    for (let j = 0; j < end; j++) if (!hid.has(j)) bias[i * T + j] = 0;
  }
  return bias;
}

/**
 * GroupQueryAttention (always causal), with or without a past:
 *   query (1, S, Hq*hd), key/value (1, S, Hkv*hd), [past_key/past_value (1, Hkv, P, hd)],
 *   seqlens_k (1) int32 = P + S - 1, total_sequence_length () int32 = P + S
 *   -> output (1, S, Hq*hd), present_key/present_value (1, Hkv, P + S, hd)
 */
export function gqaModel(Hq: number, Hkv: number, hd: number, scale: number, withPast: boolean): Uint8Array {
  return buildModel({
    opsets: { 'com.microsoft': 1 },
    inputs: [
      tensor('query', 'float32', [1, 'S', Hq * hd]),
      tensor('key', 'float32', [1, 'S', Hkv * hd]),
      tensor('value', 'float32', [1, 'S', Hkv * hd]),
      ...(withPast ? [tensor('past_key', 'float32', [1, Hkv, 'P', hd]), tensor('past_value', 'float32', [1, Hkv, 'P', hd])] : []),
      tensor('seqlens_k', 'int32', [1]),
      tensor('total_sequence_length', 'int32', []),
    ],
    outputs: [
      tensor('output', 'float32', [1, 'S', Hq * hd]),
      tensor('present_key', 'float32', [1, Hkv, 'T', hd]),
      tensor('present_value', 'float32', [1, Hkv, 'T', hd]),
    ],
    nodes: [node('GroupQueryAttention', [
      'query', 'key', 'value', withPast ? 'past_key' : '', withPast ? 'past_value' : '', 'seqlens_k', 'total_sequence_length',
    ], ['output', 'present_key', 'present_value'], {
      domain: 'com.microsoft',
      attrs: { num_heads: attr.int(Hq), kv_num_heads: attr.int(Hkv), scale: attr.float(scale) },
    })],
  });
}

/** (T, H, hd) -> (1, H, T, hd): our cache layout to ORT's BNSH past/present layout. */
export function toBNSH(x: Float32Array, T: number, H: number, hd: number): Float32Array {
  const out = new Float32Array(T * H * hd);
  for (let t = 0; t < T; t++) for (let h = 0; h < H; h++) for (let d = 0; d < hd; d++) out[(h * T + t) * hd + d] = x[(t * H + h) * hd + d];
  return out;
}
