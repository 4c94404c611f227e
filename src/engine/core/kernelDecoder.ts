// The per-layer ("kernel") decoder path: layers/pre_{i}.onnx -> our attention -> layers/post_{i}.onnx, then
// layers/final.onnx (docs/MODEL_PACKAGE.md "Per-layer graphs"). Attention between the ORT sessions runs in a
// LayerAttention: on WebGPU the WGSL kernels on ORT's device with KV caches we own (src/engine/kernelAttention.ts,
// web only); anywhere a plain JS implementation on the CPU (CpuLayerAttention, below), which the engine uses
// for attention maps on wasm / Node and tests use as the reference for masks the monolithic graph lacks.
//
// Unlike decoder.onnx this path takes attention masks (pass-1 bidirectional block, hidden summary keys) and
// can accumulate the pass-1 attention map (summary rows x vision keys, mean over heads and layers).

import { ModelFormatError } from '../../model/errors';
import { readFloat32, type BackendSession, type BackendTensor, type NamedBackendTensors } from './backend';
import type { LoadedModel, Pass } from './model';

/** Which decoder the engine runs: the per-layer graphs with our attention, or the monolithic decoder.onnx. */
export type DecoderPath = 'kernels' | 'ort';

export interface AttentionMaskSpec {
  /** Absolute positions [start, end) that see each other (pass-1 bidirectional prompt + summary block). */
  bidirectionalBlock?: { start: number; end: number };
  /** Key positions hidden from every query (e.g. summary tokens masked in pass 2). */
  hiddenKeys?: readonly number[];
}

/** The attention map block to accumulate: `rows` query rows from `rowStart` (of this run) x `keys` keys from `keyStart` (absolute). */
export interface MapSpec { rowStart: number; rows: number; keyStart: number; keys: number }

export interface AttendArgs {
  layer: number;
  /** pre_{layer} outputs: q (1, S, Hq*hd), k, v (1, S, Hkv*hd). */
  q: BackendTensor;
  k: BackendTensor;
  v: BackendTensor;
  S: number;
  mask: AttentionMaskSpec;
  map?: MapSpec;
}

export interface AttentionMapResult {
  /** (V) mean over summary tokens, heads and layers of the softmax probability on each vision token. */
  heat: Float32Array;
  /** (K, V) the same per summary token (mean over heads and layers). */
  perToken?: Float32Array;
}

/** Attention between pre_i and post_i, with the KV caches of every layer. */
export interface LayerAttention {
  readonly kind: 'kernels' | 'cpu';
  /** Positions in the caches (between runs). */
  readonly length: number;
  /** Appends this layer's k, v and attends; returns attn (1, S, Hq*hd) for post_{layer} (valid until endRun). */
  attend(a: AttendArgs): Promise<BackendTensor>;
  /** After a run's layers: frees the run's scratch buffers. */
  endRun(): void;
  /** Forgets positions from `length` on (failed runs, runs that keep no cache). */
  truncate(length: number): void;
  /** Reads (and resets) the accumulated attention map. */
  readMap(perToken: boolean): Promise<AttentionMapResult>;
  dispose(): void;
}

export interface AttentionShape { layers: number; Hq: number; Hkv: number; hd: number }
/** Creates a LayerAttention whose caches hold `capacity` positions. */
export type LayerAttentionFactory = (capacity: number) => LayerAttention;

export interface LayerSessions {
  pre: BackendSession[];
  post: BackendSession[];
  final: BackendSession;
  /** Per pass and layer, the LoRA inputs of pre_i / post_i (the model's adapter constants, picked by name). */
  feeds: Record<Pass, { pre: NamedBackendTensors[]; post: NamedBackendTensors[] }>;
  shape: AttentionShape;
  /** The WGSL attention on ORT's device when every layer graph runs on WebGPU; null elsewhere. */
  kernels: LayerAttentionFactory | null;
  /** The path runDecoder takes for caches from KvCache.empty (set at load, see Engine.load). */
  path: DecoderPath;
  /** Why this path, in words for the UI. */
  reason: string;
}

/** Picks the LoRA inputs `session` takes from the adapter constants; throws naming what is missing. */
export function loraFeeds(session: BackendSession, adapter: NamedBackendTensors, file: string): NamedBackendTensors {
  const out: NamedBackendTensors = {};
  for (const n of session.inputNames) {
    if (!n.startsWith('lora.')) continue;
    const t = adapter[n];
    if (!t) throw ModelFormatError.forFile(file, `takes "${n}", which the adapters do not hold`);
    out[n] = t;
  }
  return out;
}

export interface LayeredRequest {
  /** (S, d) fp32 input embeddings, appended after the state's positions. */
  embeds: Float32Array;
  state: LayerAttention;
  pass: Pass;
  logits?: 'last' | 'all' | false;
  hiddenFrom?: number;
  mask?: AttentionMaskSpec;
  map?: MapSpec;
  /** Keep the new positions in the caches (default true). */
  keep?: boolean;
}

/** One run of the per-layer decoder. On failure (or keep: false) the state keeps only its earlier positions. */
export async function runLayered(model: LoadedModel, layers: LayerSessions, req: LayeredRequest): Promise<{ logits?: Float32Array; hidden?: Float32Array }> {
  const { d, vocab, backend } = model;
  const S = req.embeds.length / d;
  const st = req.state;
  const before = st.length;
  const pos = backend.int64(BigInt64Array.from({ length: S }, (_, i) => BigInt(before + i)), [1, S]); // (1, S) i64
  const lora = layers.feeds[req.pass];
  let h: BackendTensor = backend.float32(req.embeds, [1, S, d]); // (1, S, d)
  const result: { logits?: Float32Array; hidden?: Float32Array } = {};
  try {
    for (let l = 0; l < layers.pre.length; l++) {
      const a = await layers.pre[l].run({ hidden: h, position_ids: pos, ...lora.pre[l] }, ['q', 'k', 'v']);
      let attn: BackendTensor;
      try {
        attn = await st.attend({ layer: l, q: a.q, k: a.k, v: a.v, S, mask: req.mask ?? {}, map: req.map });
      } finally {
        a.q?.dispose(); a.k?.dispose(); a.v?.dispose();
      }
      const o = await layers.post[l].run({ hidden: h, attn, ...lora.post[l] }, ['hidden_out']);
      h.dispose();
      h = o.hidden_out; // (1, S, d)
    }
    const fetches = [...(req.logits ? ['logits'] : []), ...(req.hiddenFrom !== undefined ? ['hidden_states'] : [])];
    if (fetches.length) {
      const f = await layers.final.run({ hidden: h }, fetches);
      try {
        if (req.logits) {
          const all = await readFloat32(f.logits); // (1, S, vocab)
          result.logits = req.logits === 'last' ? all.slice((S - 1) * vocab, S * vocab) : all.slice();
        }
        if (req.hiddenFrom !== undefined) result.hidden = (await readFloat32(f.hidden_states)).slice(req.hiddenFrom * d, S * d);
      } finally {
        for (const t of Object.values(f)) t.dispose();
      }
    }
    if (req.keep === false) st.truncate(before);
  } catch (e) {
    st.truncate(before);
    throw e;
  } finally {
    h.dispose();
    st.endRun();
  }
  return result;
}

// ------------------------------------------------------------------------------------------ CPU attention

/**
 * Attention on the CPU (float64 sums, fp32 results): the same masks and map as the WGSL kernels. Used for
 * attention maps where WebGPU is absent, and as the reference of the kernel path for masks decoder.onnx
 * cannot express.
 */
export class CpuLayerAttention implements LayerAttention {
  readonly kind = 'cpu';
  private readonly k: Float32Array[];
  private readonly v: Float32Array[];
  private readonly lens: number[];
  private map: { spec: MapSpec; accum: Float64Array } | null = null;

  constructor(private readonly model: LoadedModel, private readonly shape: AttentionShape, private readonly capacity: number) {
    const n = capacity * shape.Hkv * shape.hd;
    this.k = Array.from({ length: shape.layers }, () => new Float32Array(n));
    this.v = Array.from({ length: shape.layers }, () => new Float32Array(n));
    this.lens = new Array<number>(shape.layers).fill(0);
  }

  get length(): number {
    return this.lens[0];
  }

  async attend(a: AttendArgs): Promise<BackendTensor> {
    const { Hq, Hkv, hd, layers } = this.shape;
    const { S, layer } = a;
    const q = await readFloat32(a.q), kn = await readFloat32(a.k), vn = await readFloat32(a.v);
    const past = this.lens[layer];
    if (past + S > this.capacity) throw new RangeError(`the KV cache holds ${this.capacity} positions, the run needs ${past + S}`);
    const K = this.k[layer], V = this.v[layer];
    K.set(kn.subarray(0, S * Hkv * hd), past * Hkv * hd);
    V.set(vn.subarray(0, S * Hkv * hd), past * Hkv * hd);
    this.lens[layer] = past + S;
    const T = past + S;
    const scale = 1 / Math.sqrt(hd);
    const group = Hq / Hkv;
    const hidden = new Set(a.mask.hiddenKeys ?? []);
    const blk = a.mask.bidirectionalBlock;
    const map = a.map;
    if (map && (!this.map || this.map.spec.rows !== map.rows || this.map.spec.keys !== map.keys)) {
      this.map = { spec: map, accum: new Float64Array(map.rows * map.keys) };
    }
    const w = 1 / (Hq * layers);
    const out = new Float32Array(S * Hq * hd);
    const scores = new Float64Array(T);
    const acc = new Float64Array(hd);
    for (let i = 0; i < S; i++) {
      const p = past + i;
      let end = p + 1;
      if (blk && p >= blk.start && p < blk.end) end = Math.max(end, blk.end);
      end = Math.min(end, T);
      const mapRow = map && i >= map.rowStart && i < map.rowStart + map.rows ? i - map.rowStart : -1;
      for (let h = 0; h < Hq; h++) {
        const hk = Math.floor(h / group);
        const qo = (i * Hq + h) * hd;
        let m = -Infinity;
        for (let j = 0; j < end; j++) {
          if (hidden.has(j)) { scores[j] = -Infinity; continue; }
          const ko = (j * Hkv + hk) * hd;
          let s = 0;
          for (let x = 0; x < hd; x++) s += q[qo + x] * K[ko + x];
          scores[j] = s * scale;
          if (scores[j] > m) m = scores[j];
        }
        if (m === -Infinity) continue; // no visible key: the row stays 0
        let l = 0;
        acc.fill(0);
        for (let j = 0; j < end; j++) {
          if (scores[j] === -Infinity) continue;
          const e = Math.exp(scores[j] - m);
          scores[j] = e;
          l += e;
          const vo = (j * Hkv + hk) * hd;
          for (let x = 0; x < hd; x++) acc[x] += e * V[vo + x];
        }
        for (let x = 0; x < hd; x++) out[qo + x] = acc[x] / l;
        if (mapRow >= 0) {
          const row = this.map!.accum.subarray(mapRow * map!.keys, (mapRow + 1) * map!.keys);
          for (let c = 0; c < map!.keys; c++) {
            const j = map!.keyStart + c;
            if (j < end && Number.isFinite(scores[j]) && !hidden.has(j)) row[c] += w * scores[j] / l;
          }
        }
      }
    }
    return this.model.backend.float32(out, [1, S, Hq * hd]);
  }

  endRun(): void {}

  truncate(length: number): void {
    for (let l = 0; l < this.lens.length; l++) this.lens[l] = Math.min(this.lens[l], length);
  }

  async readMap(perToken: boolean): Promise<AttentionMapResult> {
    if (!this.map) throw new Error('no attention map was accumulated');
    const { spec, accum } = this.map;
    this.map = null;
    const heat = new Float32Array(spec.keys);
    const sums = new Float64Array(spec.keys);
    for (let r = 0; r < spec.rows; r++) for (let c = 0; c < spec.keys; c++) sums[c] += accum[r * spec.keys + c];
    for (let c = 0; c < spec.keys; c++) heat[c] = sums[c] / spec.rows;
    return perToken ? { heat, perToken: Float32Array.from(accum) } : { heat };
  }

  dispose(): void {
    this.lens.fill(0);
  }
}
