// The platform-independent engine: one loaded model, and the Fwd2Bot operations on it. The browser worker
// (src/engine/worker.ts) and the Node CLI (cli/) both drive this class; only the InferenceBackend and the
// image decoder differ.

import { ModelNotLoadedError, TokenMismatchError } from '../errors';
import { allowedTokenCounts, layerFiles } from '../../model/manifest';
import { loadPackage, readPackageFiles, type PackageProgress, type PackageSource } from '../../model/package';
import { preprocessImage, type Orientation, type RgbaImage } from '../../model/image';
import { f16ArrayToF32, f32ArrayToF16 } from '../../shared/fp16';
import type { InferenceBackend } from './backend';
import { ChatSession, type ChatAnswer, type ChatTurn, type GenerateOptions } from './chat';
import { compressPixels, embedText, passOneWithMap, visionTokens } from './compress';
import { chooseDecoderPath } from './decoderChoice';
import type { DecoderPath } from './kernelDecoder';
import { attachLayerSessions, loadModel, releaseLayerSessions, releaseModel, type CompileProgress, type LoadedModel } from './model';
import { Gallery, searchGallery, type SearchHit, type TopKFn } from './search';

/** What the UI shows about the loaded model (structured-cloneable). */
export interface ModelInfo {
  modelId: string;
  name: string;
  K: number;
  d: number;
  /** K' values chat may use (nestedK plus K). */
  tokenCounts: number[];
  /** The manifest's nestedK ([] = K only). */
  nestedK: number[];
  /** Bytes of one photo's stored tokens: 2 * K * d (fp16). */
  bytesPerPhoto: number;
  /** e.g. { decoder: 'int8', vision: 'int8', compute: 'float32' } */
  quantization: Record<string, string | number>;
  /** Package paths of bundled sample photos (samples/*), and of the model card when there is one. */
  samples: string[];
  modelCard: string | null;
  captionQuestion: string;
  /** Vision patch grid [rows, cols]. */
  patchGrid: [number, number];
  /** Where the package was read from, in words. */
  source: string;
  vocabSize: number;
  maxPositions: number;
  imageSize: [number, number];
  /** Where each session runs ('webgpu', 'wasm', 'cpu'). */
  devices: { vision: string; embed: string; decoder: string };
  /** Why the backend is not WebGPU although it was wanted (null otherwise). */
  fallbackReason: string | null;
  loadMs: number;
  /** (Always set by Engine.load; optional for older callers.) The decoder chat and pass 1 run on: per-layer graphs + WGSL attention kernels, or decoder.onnx. */
  decoderPath?: DecoderPath;
  /** Why that one, in words (on WebGPU: the timings measured at load). */
  decoderPathReason?: string;
  /** How attention maps are computed: WGSL kernels, JS on the CPU, or not at all (no per-layer graphs). */
  attentionMaps?: 'kernels' | 'cpu' | 'unavailable';
}

/** The pass-1 attention of the summary tokens over the image's patches (paper Fig. 4). */
export interface AttentionMapOutput {
  /** Vision patch grid [rows, cols]; heat is row-major over it. */
  grid: [number, number];
  /** (V) mean over summary tokens, heads and layers of the attention probability on each patch. */
  heat: Float32Array;
  /** (K, V) per summary token, when asked. */
  perToken?: Float32Array;
  K: number;
  /** Where it was computed. */
  path: 'kernels' | 'cpu';
}

export interface EngineLoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** 'auto' (default): on WebGPU measure both decoders and keep the faster; else force one. */
  decoderPath?: 'auto' | DecoderPath;
}

/** One photo's tokens as they are stored: (K, d) fp16 bits and the model they belong to. */
export interface TokensInput {
  modelId: string;
  K: number;
  d: number;
  data: Uint16Array | Float32Array; // (K, d) fp16 bits or fp32
}

export interface CompressResult {
  modelId: string;
  K: number;
  d: number;
  tokens: Uint16Array; // (K, d) fp16 bits, what the library stores
  tokensF32: Float32Array; // (K, d) fp32, before rounding
  embedding: Float32Array; // (d,) fp32, L2-normalised mean over K
}

export type LoadProgress =
  | ({ phase: 'download' } & PackageProgress)
  | ({ phase: 'compile' } & CompileProgress);

export class Engine {
  private released = false;
  /** The per-layer sessions being created on first use (backends where only attention maps need them). */
  private layersLoading: Promise<void> | null = null;

  private constructor(readonly model: LoadedModel, readonly info: ModelInfo, private readonly source: PackageSource) {}

  /** Reads and checks the package from `source`, then creates the sessions. */
  static async load(backend: InferenceBackend, source: PackageSource, opts: EngineLoadOptions = {}): Promise<Engine> {
    const t0 = globalThis.performance?.now() ?? Date.now();
    const pkg = await loadPackage(source, { signal: opts.signal, onProgress: (p) => opts.onProgress?.({ phase: 'download', ...p }) });
    opts.signal?.throwIfAborted();
    // Off WebGPU the per-layer graphs serve only attention maps (the WGSL kernel decoder needs WebGPU): their
    // sessions, which hold a second copy of the decoder weights, are created when a map is first asked for.
    const layersNow = backend.kind === 'webgpu' || opts.decoderPath === 'kernels';
    const model = await loadModel(backend, pkg, (p) => opts.onProgress?.({ phase: 'compile', ...p }), { layers: layersNow });
    // pkg.files (the weights' bytes) are not kept: the sessions hold what they need.
    const m = model.manifest;
    let choice: { path: DecoderPath; reason: string } = { path: 'ort', reason: 'the package has no per-layer graphs' };
    if (m.graphs.layers && !model.layers) {
      choice = { path: 'ort', reason: `the WGSL kernel decoder needs WebGPU (this backend is ${backend.kind}); the per-layer graphs are loaded only when an attention map is asked for` };
    }
    if (model.layers) {
      const want = opts.decoderPath ?? 'auto';
      try {
        if (want === 'auto') choice = await chooseDecoderPath(model);
        else if (want === 'kernels' && !model.layers.kernels) choice = { path: 'ort', reason: 'asked for the WGSL kernels, but they need WebGPU' };
        else choice = { path: want, reason: 'chosen by the caller' };
      } catch (e) {
        choice = { path: 'ort', reason: `the kernel decoder failed at load: ${e instanceof Error ? e.message : String(e)}` };
      }
      model.layers.path = choice.path;
      model.layers.reason = choice.reason;
    }
    const patch = m.architecture.vision.patchSize;
    const decoder = model.decoder!;
    const info: ModelInfo = {
      modelId: m.modelId, name: m.name, K: model.K, d: model.d, tokenCounts: allowedTokenCounts(m), vocabSize: model.vocab,
      nestedK: [...m.fwd2bot.nestedK], bytesPerPhoto: 2 * model.K * model.d,
      quantization: Object.fromEntries(Object.entries(m.quantization ?? {}).filter(([, v]) => typeof v === 'string' || typeof v === 'number')) as Record<string, string | number>,
      samples: m.files.map((f) => f.path).filter((p) => p.startsWith('samples/')).sort(),
      modelCard: m.modelCard ?? null, captionQuestion: m.chatTemplate.captionQuestion,
      patchGrid: [Math.floor(m.preprocessing.size[0] / patch), Math.floor(m.preprocessing.size[1] / patch)], source: pkg.source,
      maxPositions: m.architecture.decoder.maxPositions, imageSize: [...m.preprocessing.size],
      devices: { vision: model.vision.device, embed: model.embed.device, decoder: decoder.device },
      fallbackReason: backend.fallbackReason
        ?? [model.vision, model.embed, decoder].map((s) => s.fallbackReason ? `${s.name}: ${s.fallbackReason}` : null).find((r) => r) ?? null,
      loadMs: (globalThis.performance?.now() ?? Date.now()) - t0,
      decoderPath: choice.path, decoderPathReason: choice.reason,
      attentionMaps: !m.graphs.layers ? 'unavailable' : model.layers?.kernels ? 'kernels' : 'cpu',
    };
    // Both decoders were created to be measured (WebGPU): keep only the one that runs, so the decoder weights
    // are in GPU memory once. Unless the caller forced a path: tests and benches run both on one engine.
    // Released per-layer sessions come back with the first attention map (ensureLayers).
    if ((opts.decoderPath ?? 'auto') === 'auto' && model.layers) {
      if (choice.path === 'kernels') {
        model.decoder = null;
        await decoder.release();
      } else {
        const layers = model.layers;
        model.layers = undefined;
        await releaseLayerSessions(layers);
      }
    }
    return new Engine(model, info, source);
  }

  private get live(): LoadedModel {
    if (this.released) throw new ModelNotLoadedError('The model was unloaded.');
    return this.model;
  }

  /** pixel_values (1, 3, H, W) -> summary tokens and embedding (pass 1). */
  async compressPixels(pixels: Float32Array): Promise<CompressResult> {
    const m = this.live;
    const c = await compressPixels(m, pixels);
    return { modelId: this.info.modelId, K: m.K, d: m.d, tokens: f32ArrayToF16(c.tokens), tokensF32: c.tokens, embedding: c.embedding };
  }

  /** Decoded RGBA pixels -> summary tokens (preprocessing per the manifest, then pass 1). */
  compressImage(image: RgbaImage, orientation: Orientation = 1): Promise<CompressResult> {
    return this.compressPixels(preprocessImage(image, this.live.manifest.preprocessing, orientation));
  }

  /** pixel_values (1, 3, H, W) -> the pass-1 attention map over the patches (and the summary tokens). */
  async attentionMapPixels(pixels: Float32Array, opts: { perToken?: boolean } = {}): Promise<AttentionMapOutput & { tokens: Float32Array }> {
    const m = this.live;
    if (!m.manifest.graphs.layers) throw new Error('This model package has no per-layer graphs (manifest graphs.layers), which attention maps need.');
    await this.ensureLayers();
    const hv = await visionTokens(m, pixels);
    const r = await passOneWithMap(m, hv, { perToken: opts.perToken });
    const V = hv.length / m.d;
    const [rows, cols] = this.info.patchGrid;
    const grid: [number, number] = rows * cols === V ? [rows, cols] : [1, V];
    return { grid, heat: r.heat, perToken: r.perToken, K: m.K, path: r.path, tokens: r.tokens };
  }

  /** Whether the per-layer sessions exist now (they are created on first use off WebGPU). */
  get layersLoaded(): boolean {
    return this.model.layers !== undefined;
  }

  /**
   * Creates the per-layer sessions if they are not there yet: reads the layer graphs and the shared weights
   * again from the package source (checked against the manifest: a package changed since loading is refused,
   * naming the file), then creates the sessions. Concurrent callers share one load; a failed load is retried
   * by the next call.
   */
  private ensureLayers(): Promise<void> {
    if (this.model.layers) return Promise.resolve();
    this.layersLoading ??= (async () => {
      try {
        const files = await readPackageFiles(this.source, this.model.manifest, layerFiles(this.model.manifest));
        if (this.released) return;
        await attachLayerSessions(this.model, files); // release() waits for this, then releases them too
      } finally {
        this.layersLoading = null;
      }
    })();
    return this.layersLoading.then(() => {
      if (this.released) throw new ModelNotLoadedError('The model was unloaded.');
    });
  }

  /** Decoded RGBA pixels -> the pass-1 attention map (preprocessing per the manifest). */
  attentionMapImage(image: RgbaImage, opts: { perToken?: boolean } = {}, orientation: Orientation = 1): Promise<AttentionMapOutput & { tokens: Float32Array }> {
    return this.attentionMapPixels(preprocessImage(image, this.live.manifest.preprocessing, orientation), opts);
  }

  /** A text query -> its search embedding (d,). */
  embedText(query: string): Promise<Float32Array> {
    return embedText(this.live, query);
  }

  /** Stored tokens -> fp32 (K, d), checking they belong to this model. */
  tokensF32(t: TokensInput): Float32Array {
    const m = this.live;
    if (t.modelId !== this.info.modelId) {
      throw new TokenMismatchError(`These tokens were made by model "${t.modelId}"; the loaded model is "${this.info.modelId}".`,
        { data: { tokensModelId: t.modelId, modelId: this.info.modelId } });
    }
    if (t.K !== m.K || t.d !== m.d || t.data.length !== t.K * t.d) {
      throw new TokenMismatchError(`The stored tokens are (${t.K}, ${t.d}) with ${t.data.length} values; this model makes (${m.K}, ${m.d}).`);
    }
    return t.data instanceof Float32Array ? t.data : f16ArrayToF32(t.data);
  }

  /** A chat about one photo; `kPrime` cuts its tokens to the first K' (nested K). */
  openChat(tokens: TokensInput, opts: { kPrime?: number; history?: readonly ChatTurn[] } = {}): ChatSession {
    const s = ChatSession.fromTokens(this.live, this.tokensF32(tokens), tokens.K, opts.kPrime ?? tokens.K);
    if (opts.history?.length) s.restore(opts.history);
    return s;
  }

  /** One caption (the manifest's caption question), greedy unless options say otherwise. */
  async caption(tokens: TokensInput, opts: GenerateOptions & { kPrime?: number } = {}): Promise<ChatAnswer> {
    const s = this.openChat(tokens, { kPrime: opts.kPrime });
    try {
      return await s.answer(this.live.template.captionQuestion, { maxTokens: 80, ...opts });
    } finally {
      s.dispose();
    }
  }

  /** Ranks `gallery` (stored embeddings of this model) for a text query. */
  async search(query: string, k: number, gallery: Gallery, topK?: TopKFn): Promise<SearchHit[]> {
    if (gallery.size > 0 && (gallery.modelId !== this.info.modelId || gallery.d !== this.live.d)) {
      throw new TokenMismatchError(`The stored embeddings belong to model "${gallery.modelId}" (d=${gallery.d}); the loaded model is "${this.info.modelId}" (d=${this.live.d}).`);
    }
    return searchGallery(gallery, await this.embedText(query), k, topK);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.layersLoading?.catch(() => undefined);
    await releaseModel(this.model);
  }
}
