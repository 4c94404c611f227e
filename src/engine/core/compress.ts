// Fwd2Bot pass 1 (compression adapter) and the search embedding.
//
//   image: [<s>; H_v (V); X_p (P); H_r (K)] -> hidden_states[-K:] = H_v^c (K, d)
//   text:  [<s>; query (Q); X_p (P); H_r (K)] -> H_t^c (K, d)
//   embedding e = mean over K of H^c, L2-normalised (d,)

import { readFloat32 } from './backend';
import { concatRows, embedIds, KvCache, readAttentionMap, runDecoder } from './decoder';
import type { AttentionMapResult, DecoderPath } from './kernelDecoder';
import type { LoadedModel } from './model';

export interface Compressed {
  /** (K, d) fp32 H^c */
  tokens: Float32Array;
  /** (d,) fp32, L2-normalised mean over K */
  embedding: Float32Array;
  /** (V, d) fp32 vision tokens H_v, when asked for (tests, benchmarks). */
  visionTokens?: Float32Array;
}

/** (K, d) -> (d,): the mean over K (float64), divided by its L2 norm; an all-zero mean stays zero. */
export function searchEmbedding(tokens: Float32Array, K: number, d: number): Float32Array {
  if (tokens.length !== K * d) throw new RangeError(`searchEmbedding: ${tokens.length} values, (K, d) = (${K}, ${d}) needs ${K * d}`);
  const mean = new Float64Array(d);
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) mean[j] += tokens[k * d + j];
  let sq = 0;
  for (let j = 0; j < d; j++) { mean[j] /= K; sq += mean[j] * mean[j]; }
  const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  return Float32Array.from(mean, (v) => v * inv);
}

/** pixel_values (1, 3, H, W) -> H_v (V, d) through vision.onnx. */
export async function visionTokens(model: LoadedModel, pixels: Float32Array): Promise<Float32Array> {
  const [h, w] = model.manifest.preprocessing.size;
  if (pixels.length !== 3 * h * w) throw new RangeError(`pixel_values has ${pixels.length} values, (1, 3, ${h}, ${w}) needs ${3 * h * w}`);
  const out = await model.vision.run({ pixel_values: model.backend.float32(pixels, [1, 3, h, w]) }, ['vision_tokens']);
  const v = out.vision_tokens; // (1, V, d)
  try {
    const V = model.manifest.architecture.vision.numVisionTokens;
    if (v.dims[1] !== V || v.dims[2] !== model.d) throw new Error(`vision_tokens has dims [${v.dims.join(', ')}], expected [1, ${V}, ${model.d}]`);
    return (await readFloat32(v)).slice();
  } finally {
    v.dispose();
  }
}

const fixedEmbeds = new WeakMap<LoadedModel, Promise<{ bos: Float32Array; prompt: Float32Array }>>();

/** Embeddings of <s> (1, d) and of the compression prompt X_p (P, d), computed once per model. */
export function fixedEmbeddings(model: LoadedModel): Promise<{ bos: Float32Array; prompt: Float32Array }> {
  let p = fixedEmbeds.get(model);
  if (!p) {
    p = (async () => ({ bos: await embedIds(model, [model.template.bos]), prompt: await embedIds(model, model.template.compressionPromptIds) }))();
    p.catch(() => fixedEmbeds.delete(model));
    fixedEmbeds.set(model, p);
  }
  return p;
}

export interface PassOneOptions {
  /** Decoder path (default: the model's choice). 'cpu' = per-layer graphs with the JS attention. */
  path?: DecoderPath | 'cpu';
  /** The Table-12 option: prompt + summary tokens attend to each other (per-layer paths only). */
  bidirectional?: boolean;
}

/** Pass 1 on any block (vision tokens or query embeddings) in place of the image: -> H^c (K, d). */
export async function passOne(model: LoadedModel, block: Float32Array, opts: PassOneOptions = {}): Promise<Float32Array> {
  return (await passOneRun(model, block, opts)).tokens;
}

async function passOneRun(model: LoadedModel, block: Float32Array, opts: PassOneOptions & { map?: { perToken: boolean } }): Promise<{ tokens: Float32Array; map?: AttentionMapResult }> {
  const { K, d } = model;
  const { bos, prompt } = await fixedEmbeddings(model);
  const embeds = concatRows([bos, block, prompt, model.summaryTokens]); // (1 + n + P + K, d)
  const T = embeds.length / d;
  const n = block.length / d;
  const cache = KvCache.empty(model, opts.path);
  try {
    const r = await runDecoder(model, {
      embeds, cache, pass: 'compress', hiddenFrom: T - K, keepCache: false,
      mask: opts.bidirectional ? { bidirectionalBlock: { start: 1 + n, end: T } } : undefined,
      map: opts.map ? { rowStart: T - K, rows: K, keyStart: 1, keys: n } : undefined,
    });
    return { tokens: r.hidden!, map: opts.map ? await readAttentionMap(cache, opts.map.perToken) : undefined };
  } finally {
    cache.dispose();
  }
}

/**
 * Pass 1 on vision tokens (V, d) with the attention map of the summary tokens over them (paper Fig. 4):
 * heat (V) = mean over summary tokens, heads and layers of the softmax probabilities; perToken (K, V)
 * when asked. Runs the per-layer graphs: the WGSL kernels on WebGPU, the JS attention elsewhere.
 */
export async function passOneWithMap(model: LoadedModel, visionTokens: Float32Array, opts: PassOneOptions & { perToken?: boolean } = {}): Promise<{ tokens: Float32Array; heat: Float32Array; perToken?: Float32Array; path: 'kernels' | 'cpu' }> {
  const path = opts.path === 'ort' || opts.path === undefined ? (model.layers?.kernels ? 'kernels' : 'cpu') : opts.path;
  const r = await passOneRun(model, visionTokens, { ...opts, path, map: { perToken: opts.perToken ?? false } });
  return { tokens: r.tokens, heat: r.map!.heat, perToken: r.map!.perToken, path };
}

/** Image pixels -> summary tokens and their embedding. */
export async function compressPixels(model: LoadedModel, pixels: Float32Array, opts: { keepVisionTokens?: boolean } & PassOneOptions = {}): Promise<Compressed> {
  const hv = await visionTokens(model, pixels);
  const tokens = await passOne(model, hv, opts);
  const out: Compressed = { tokens, embedding: searchEmbedding(tokens, model.K, model.d) };
  if (opts.keepVisionTokens) out.visionTokens = hv;
  return out;
}

/** A text query -> its search embedding (d,) (pass 1 with the query's embeddings in place of the image). */
export async function embedText(model: LoadedModel, query: string): Promise<Float32Array> {
  const ids = model.template.queryIds(query);
  const tokens = await passOne(model, await embedIds(model, ids));
  return searchEmbedding(tokens, model.K, model.d);
}
