// Running the decoder graph with a KV cache, and the token embedding graph.
//
// decoder.onnx: inputs_embeds (1, T, d), past_key_values.{i}.{key,value} (1, kvH, P, hd), LoRA factors
//   -> logits (1, T, vocab), hidden_states (1, T, d), present.{i}.{key,value} (1, kvH, P+T, hd).
// A KvCache holds the past tensors where the backend left them (GPU buffers on WebGPU); a run that extends
// it returns a new KvCache and the caller disposes the old one.

import { ContextFullError } from '../errors';
import { numel, readFloat32, type BackendTensor, type NamedBackendTensors } from './backend';
import { CpuLayerAttention, runLayered, type AttentionMapResult, type AttentionMaskSpec, type DecoderPath, type LayerAttention, type MapSpec } from './kernelDecoder';
import type { LoadedModel, Pass } from './model';

export class KvCache {
  private disposed = false;
  private moved = false;
  private constructor(
    /** past_key_values.* -> (1, kvH, length, hd) */
    private readonly tensors: NamedBackendTensors,
    /** P: positions already in the cache. */
    readonly length: number,
    /** The per-layer path's caches (kernel decoder): appended in place, owned by the newest KvCache. */
    readonly layered: LayerAttention | null = null,
  ) {}

  /**
   * A zero-length cache (P = 0) for the model's decoder path: fresh CPU tensors (1, kvH, 0, hd) for
   * decoder.onnx, or empty per-layer caches for the kernel path (`path` overrides the model's choice;
   * 'cpu' = the per-layer graphs with the JS attention).
   */
  static empty(model: LoadedModel, path?: DecoderPath | 'cpu'): KvCache {
    const p = path ?? model.layers?.path ?? 'ort';
    if (p !== 'ort') {
      const l = model.layers;
      if (!l) throw new Error('this model package has no per-layer graphs (manifest graphs.layers)');
      const capacity = model.manifest.architecture.decoder.maxPositions;
      if (p === 'kernels') {
        if (!l.kernels) throw new Error('the kernel decoder needs WebGPU');
        return new KvCache({}, 0, l.kernels(capacity));
      }
      return new KvCache({}, 0, new CpuLayerAttention(model, l.shape, capacity));
    }
    const t: NamedBackendTensors = {};
    for (const n of model.pastNames) t[n] = model.backend.float32(new Float32Array(0), [1, model.kvHeads, 0, model.headDim]);
    return new KvCache(t, 0);
  }

  /** The cache a run produced: its present.* outputs become the next run's past_key_values.*. */
  static fromPresents(model: LoadedModel, outputs: NamedBackendTensors, length: number): KvCache {
    const t: NamedBackendTensors = {};
    model.presentNames.forEach((p, i) => {
      const v = outputs[p];
      if (!v) throw new Error(`the decoder run returned no ${p}`);
      t[model.pastNames[i]] = v;
    });
    return new KvCache(t, length);
  }

  feeds(): NamedBackendTensors {
    if (this.disposed || this.moved) throw new Error('this KV cache was already released');
    return this.tensors;
  }

  /** The per-layer caches after a run appended `added` positions: a new KvCache takes them over. */
  extendLayered(added: number): KvCache {
    if (!this.layered || this.disposed || this.moved) throw new Error('this KV cache was already released');
    this.moved = true;
    return new KvCache({}, this.length + added, this.layered);
  }

  /** Where the cache lives ('gpu-buffer' on WebGPU once a run produced it, or with the kernel decoder). */
  get location(): string {
    if (this.layered) return this.layered.kind === 'kernels' ? 'gpu-buffer' : 'cpu';
    return Object.values(this.tensors)[0]?.location ?? 'cpu';
  }

  /** Which decoder this cache belongs to. */
  get path(): DecoderPath | 'cpu' {
    return this.layered ? (this.layered.kind === 'kernels' ? 'kernels' : 'cpu') : 'ort';
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.moved) return; // a newer KvCache owns the per-layer caches
    this.layered?.dispose();
    for (const t of Object.values(this.tensors)) t.dispose();
  }
}

/** Vocabularies whose whole embedding table is at most this big are read once and looked up on the CPU. */
export const EMBED_TABLE_MAX_BYTES = 16 * 2 ** 20;
const tables = new WeakMap<LoadedModel, Promise<Float32Array | null>>();

/** The (vocab, d) embedding table, read through embed_tokens.onnx once; null when it is too big to keep. */
function embedTable(model: LoadedModel): Promise<Float32Array | null> {
  let t = tables.get(model);
  if (!t) {
    t = model.vocab * model.d * 4 > EMBED_TABLE_MAX_BYTES ? Promise.resolve(null)
      : runEmbed(model, Array.from({ length: model.vocab }, (_, i) => i));
    t.catch(() => tables.delete(model));
    tables.set(model, t);
  }
  return t;
}

/**
 * ids (T,) -> token embeddings (T, d) fp32. Small vocabularies: rows of the table embed_tokens.onnx gave
 * (saves one session run per decoded token); large ones: one embed_tokens.onnx run.
 */
export async function embedIds(model: LoadedModel, ids: readonly number[]): Promise<Float32Array> {
  if (ids.length === 0) return new Float32Array(0);
  const table = await embedTable(model);
  if (!table) return runEmbed(model, ids);
  const { d, vocab } = model;
  const out = new Float32Array(ids.length * d); // (T, d)
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new RangeError(`token id ${id} is outside the vocabulary (0..${vocab - 1})`);
    out.set(table.subarray(id * d, (id + 1) * d), i * d);
  });
  return out;
}

async function runEmbed(model: LoadedModel, ids: readonly number[]): Promise<Float32Array> {
  const input = model.backend.int64(BigInt64Array.from(ids, (i) => BigInt(i)), [1, ids.length]); // (1, T) i64
  const out = await model.embed.run({ input_ids: input }, ['inputs_embeds']);
  const e = out.inputs_embeds; // (1, T, d)
  try {
    return (await readFloat32(e)).slice();
  } finally {
    e.dispose();
  }
}

/** Concatenates row blocks (n_i, d) into one (sum n_i, d). */
export function concatRows(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export interface DecoderRequest {
  /** (T, d) fp32 input embeddings, appended after the cache. */
  embeds: Float32Array;
  cache: KvCache;
  pass: Pass;
  /** 'last': logits of the last position (vocab,); 'all': (T, vocab); false: none. */
  logits?: 'last' | 'all' | false;
  /** Read hidden_states rows [from, T) (default: none). */
  hiddenFrom?: number;
  /** Return the extended cache (default true). */
  keepCache?: boolean;
  /** Attention masks (per-layer path only: decoder.onnx takes none). */
  mask?: AttentionMaskSpec;
  /** Accumulate this attention map block (per-layer path only); read it with `readAttentionMap(cache)`. */
  map?: MapSpec;
}

export interface DecoderResult {
  logits?: Float32Array; // (vocab,) or (T, vocab)
  hidden?: Float32Array; // (T - hiddenFrom, d)
  cache?: KvCache; // length = cache.length + T
}

/** One decoder run (prefill of T positions, or a decode step with T = 1). Does not dispose `req.cache`. */
export async function runDecoder(model: LoadedModel, req: DecoderRequest): Promise<DecoderResult> {
  const { d, vocab } = model;
  const T = req.embeds.length / d;
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`embeds has ${req.embeds.length} values, not a positive multiple of d = ${d}`);
  const max = model.manifest.architecture.decoder.maxPositions;
  if (req.cache.length + T > max) {
    throw new ContextFullError(`The sequence would reach ${req.cache.length + T} positions; the model reads at most ${max}.`,
      { data: { positions: req.cache.length + T, maxPositions: max } });
  }
  const keep = req.keepCache !== false;
  if (req.cache.layered) {
    if (!model.layers) throw new Error('this model package has no per-layer graphs');
    const r = await runLayered(model, model.layers, {
      embeds: req.embeds, state: req.cache.layered, pass: req.pass, logits: req.logits, hiddenFrom: req.hiddenFrom,
      mask: req.mask, map: req.map, keep,
    });
    return keep ? { ...r, cache: req.cache.extendLayered(T) } : r;
  }
  if (req.mask || req.map) throw new Error('decoder.onnx takes no attention masks or maps: use the per-layer path (KvCache.empty(model, "kernels" | "cpu"))');
  const fetches: string[] = [];
  if (req.logits) fetches.push('logits');
  if (req.hiddenFrom !== undefined) fetches.push('hidden_states');
  if (keep) fetches.push(...model.presentNames);
  const feeds: NamedBackendTensors = {
    inputs_embeds: model.backend.float32(req.embeds, [1, T, d]), // (1, T, d)
    ...req.cache.feeds(),
    ...model.adapters[req.pass],
  };
  if (!model.decoder) throw new Error('decoder.onnx was released at load: this engine runs the per-layer decoder (ModelInfo.decoderPath)');
  const out = await model.decoder.run(feeds, fetches);
  const result: DecoderResult = {};
  const owned: BackendTensor[] = [];
  try {
    if (req.logits) {
      const l = out.logits; // (1, T, vocab)
      owned.push(l);
      if (numel(l.dims) !== T * vocab) throw new Error(`logits have dims [${l.dims.join(', ')}], expected [1, ${T}, ${vocab}]`);
      const all = await readFloat32(l);
      result.logits = req.logits === 'last' ? all.slice((T - 1) * vocab, T * vocab) : all.slice();
    }
    if (req.hiddenFrom !== undefined) {
      const h = out.hidden_states; // (1, T, d)
      owned.push(h);
      result.hidden = (await readFloat32(h)).slice(req.hiddenFrom * d, T * d);
    }
    if (keep) result.cache = KvCache.fromPresents(model, out, req.cache.length + T);
  } catch (e) {
    if (keep) for (const p of model.presentNames) out[p]?.dispose();
    throw e;
  } finally {
    for (const t of owned) t.dispose();
  }
  return result;
}

/** Reads (and resets) the attention map a run with `map` accumulated in this cache's per-layer state. */
export function readAttentionMap(cache: KvCache, perToken = false): Promise<AttentionMapResult> {
  if (!cache.layered) throw new Error('only the per-layer decoder path accumulates attention maps');
  return cache.layered.readMap(perToken);
}
