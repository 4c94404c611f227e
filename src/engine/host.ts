// The engine as the worker runs it: one loaded model (Engine) at a time, chat sessions by chat id (their KV
// caches live on while the history matches; least recently used ones are freed), and the gallery of stored
// embeddings for search (on the GPU with the similarityTopK kernel when WebGPU is in use, a JS scan
// otherwise). Kept apart from worker.ts so tests can drive it inside the page.
//
// GPU device loss: every session, KV cache (decoder.onnx presents and the kernel decoder's own caches),
// pipeline and gallery buffer lives on one device. When it is lost, the host drops all of them, lets the
// backend recover (a new device, or wasm: DeviceRecovery), loads the model again from the same source, puts the
// gallery back, and retries the call that failed once, so an indexing job in flight simply finishes. A chat
// answer cut after tokens were streamed cannot be retried invisibly: it ends with DeviceLostError (ask again).
// onRecovered tells the page what the engine runs on now.

import { directoryHandleSource, pickedFilesSource, urlSource, type DirectoryHandleLike, type PackageSource } from '../model/package';
import { f32ArrayToF16 } from '../shared/fp16';
import type { EmbeddingMatrix } from '../storage/vectors';
import type {
  AttentionMapOptions, AttentionMapResult, CaptionRequest, ChatEvent, ChatRequest, CompressResult, ModelInfo, ModelSourceSpec, SearchHit,
} from './api';
import type { InferenceBackend } from './core/backend';
import type { ChatSession, ChatTurn } from './core/chat';
import { Engine, type LoadProgress, type TokensInput } from './core/engine';
import { Gallery, type TopK, type TopKFn } from './core/search';
import type { DecoderPath } from './core/kernelDecoder';
import { DeviceLostError, ModelNotLoadedError } from './errors';
import { decodeImage } from './imageDecode';
import type { Progress } from './protocol';

export interface HostContext {
  readonly signal: AbortSignal;
  progress(p: Omit<Progress, 'timeElapsed'>): void;
}

/** Chat sessions kept with their KV caches. */
export const MAX_OPEN_CHATS = 4;
const now = () => performance.now();
const mb = (n: number) => (n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0);

interface OpenChat { session: ChatSession; modelId: string; kPrime: number; tokens: Uint16Array | Float32Array }

/** Failures that never come from the GPU device: the input or the package is at fault. */
const NOT_GPU_ERRORS = new Set(['ImageDecodeError', 'TokenMismatchError', 'ContextFullError', 'ModelFormatError', 'ModelLoadError', 'AbortError']);

/** What the host needs to survive a lost GPU device (browser: webDeviceRecovery in webBackend.ts). */
export interface DeviceRecovery {
  /** Calls `cb` when the device the sessions run on is lost. Returns an unsubscribe function. */
  onLost(cb: () => void): () => void;
  /** Whether the current device is lost (waits a moment: a failed read can come before the loss is reported). */
  confirmLost(): Promise<boolean>;
  /** Replaces the lost device (or falls back to wasm); later backends create their sessions there. */
  recover(): Promise<void>;
}

/** After a device loss: what the engine runs on now, or why it could not start again. */
export interface RecoveryReport {
  model: ModelInfo | null;
  error: string | null;
}

export interface HostOptions {
  recovery?: DeviceRecovery;
  /** How Engine.load picks the decoder ('auto': measured on WebGPU). */
  decoderPath?: 'auto' | DecoderPath;
  /** Called after each rebuild on a new device (or wasm). */
  onRecovered?: (r: RecoveryReport) => void;
}

interface GpuGallery {
  topK: TopKFn;
  /** Largest k the kernel returns; larger searches use the JS scan. */
  maxK: number;
  destroy(): void;
}

function sourceOf(spec: ModelSourceSpec): PackageSource {
  switch (spec.kind) {
    case 'url': return urlSource(spec.url);
    case 'files': return pickedFilesSource(spec.files);
    case 'directory': return directoryHandleSource(spec.handle as unknown as DirectoryHandleLike);
  }
}

export function progressText(p: LoadProgress): Omit<Progress, 'timeElapsed'> {
  if (p.phase === 'download') {
    return { phase: 'download', loaded: p.loaded, total: p.total, text: p.file ? `Loading ${p.file} (${mb(p.loaded)} / ${mb(p.total)} MB)` : `Loaded ${mb(p.total)} MB, checked` };
  }
  return { phase: 'compile', loaded: p.done, total: p.total, text: p.file ? `Preparing ${p.file} (${p.done + 1} of ${p.total})` : 'Model ready' };
}

function sameHistory(a: readonly ChatTurn[], b: readonly ChatTurn[]): boolean {
  return a.length === b.length && a.every((t, i) => t.question === b[i].question && t.answer === b[i].answer);
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class EngineHost {
  private engine: Engine | null = null;
  private info: ModelInfo | null = null;
  private backend: Promise<InferenceBackend> | null = null;
  private readonly chats = new Map<string, OpenChat>(); // insertion order = least recently used first
  private gallery: { cpu: Gallery; gpu: GpuGallery | null } | null = null;
  /** What a rebuild after a device loss needs: where the model came from, the gallery it had. */
  private spec: ModelSourceSpec | null = null;
  private galleryMatrix: EmbeddingMatrix | null = null;
  /** Bumped by every rebuild; a call that started under an older generation ran on a dropped engine. */
  private generation = 0;
  private rebuilding: Promise<void> | null = null;
  /** Why the model is gone after a rebuild failed (calls then throw this instead of "no model"). */
  private broken: Error | null = null;
  private readonly stopWatching: () => void;

  constructor(private readonly makeBackend: () => Promise<InferenceBackend>, private readonly opts: HostOptions = {}) {
    // Rebuild as soon as the device goes, not only when a call fails: the page learns at once.
    this.stopWatching = opts.recovery?.onLost(() => { void this.recover(this.generation).catch(() => undefined); }) ?? (() => {});
  }

  /** Unloads the model and stops watching the device (a host that is not used any more, e.g. in tests). */
  async dispose(): Promise<void> {
    this.stopWatching();
    await this.unloadModel();
  }

  get model(): ModelInfo | null {
    return this.info;
  }

  private requireEngine(): Engine {
    if (!this.engine) throw this.broken ?? new ModelNotLoadedError();
    return this.engine;
  }

  // ---- device loss ----

  /**
   * Runs `fn`; when it fails because the GPU device was lost, waits for the rebuild and runs it once more
   * (`fn` must read this.engine again: the rebuild replaces it). A second failure is thrown.
   */
  private async guarded<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.rebuilding) await this.rebuilding.catch(() => undefined);
    const gen = this.generation;
    try {
      return await fn();
    } catch (e) {
      if (signal?.aborted || !(await this.lostUnder(e, gen))) throw e;
      await this.recover(gen);
      return fn();
    }
  }

  /** Whether a failure of a call that started in generation `gen` comes from a device loss. */
  private async lostUnder(e: unknown, gen: number): Promise<boolean> {
    const r = this.opts.recovery;
    if (!r) return false;
    if (this.generation !== gen || this.rebuilding) return true; // its engine was dropped under it
    const name = (e as { name?: unknown } | null)?.name;
    if (name === 'DeviceLostError') return true;
    // A bad photo or a wrong input is not worth waiting for the device's lost promise (confirmLost waits a moment).
    return typeof name === 'string' && NOT_GPU_ERRORS.has(name) ? false : r.confirmLost();
  }

  /** Starts (or joins) the rebuild after a loss seen in generation `fromGen`; resolves when it is done. */
  private recover(fromGen: number): Promise<void> {
    if (this.rebuilding) return this.rebuilding;
    if (this.generation !== fromGen || !this.opts.recovery) return Promise.resolve();
    const p = this.rebuild().finally(() => { if (this.rebuilding === p) this.rebuilding = null; });
    this.rebuilding = p;
    return p;
  }

  private async rebuild(): Promise<void> {
    const before = this.info;
    const spec = this.spec;
    const matrix = this.galleryMatrix;
    await this.dropEngine().catch(() => undefined); // its sessions and buffers died with the device
    try {
      await this.opts.recovery!.recover();
      this.backend = this.makeBackend(); // on the new device, or wasm
      if (spec) {
        const backend = await this.backend;
        // Keep the decoder measured at load while the GPU stays (no re-measuring); wasm has one choice.
        const keep = backend.kind === 'webgpu' && before?.decoderPath ? before.decoderPath : null;
        await this.loadNow(spec, keep ?? this.opts.decoderPath ?? 'auto');
        if (keep && this.info) this.info.decoderPathReason = `${before!.decoderPathReason ?? keep} (kept when the engine restarted after the GPU device was lost)`;
        if (matrix) await this.setGalleryNow(matrix);
      }
      this.broken = null;
    } catch (e) {
      this.broken = new DeviceLostError(
        `The GPU device was lost and the model could not be started again: ${e instanceof Error ? e.message : String(e)}`,
        { hint: 'Reload the page to start the model again.', cause: e },
      );
      throw this.broken;
    } finally {
      this.generation++;
      this.opts.onRecovered?.({ model: this.info, error: this.broken?.message ?? null });
    }
  }

  // ---- model ----

  loadModel(spec: ModelSourceSpec, ctx: HostContext): Promise<ModelInfo> {
    return this.guarded(ctx.signal, () => this.loadNow(spec, this.opts.decoderPath ?? 'auto', ctx));
  }

  private async loadNow(spec: ModelSourceSpec, decoderPath: 'auto' | DecoderPath, ctx?: HostContext): Promise<ModelInfo> {
    const backend = await (this.backend ??= this.makeBackend());
    await this.dropEngine();
    this.spec = null;
    this.galleryMatrix = null;
    const engine = await Engine.load(backend, sourceOf(spec), {
      signal: ctx?.signal, decoderPath, ...(ctx ? { onProgress: (p: LoadProgress) => ctx.progress(progressText(p)) } : {}),
    });
    if (ctx?.signal.aborted) {
      await engine.release();
      ctx.signal.throwIfAborted();
    }
    this.engine = engine;
    this.spec = spec;
    this.broken = null;
    this.info = {
      ...engine.info,
      baseUrl: spec.kind === 'url' ? (spec.url.endsWith('/') ? spec.url : `${spec.url}/`) : null,
      device: engine.info.devices.decoder,
    };
    return this.info;
  }

  async unloadModel(): Promise<void> {
    if (this.rebuilding) await this.rebuilding.catch(() => undefined);
    this.spec = null;
    this.galleryMatrix = null;
    this.broken = null;
    await this.dropEngine();
  }

  /** Frees the engine, its chats (KV caches) and the GPU gallery. */
  private async dropEngine(): Promise<void> {
    for (const c of this.chats.values()) c.session.dispose();
    this.chats.clear();
    this.gallery?.gpu?.destroy();
    this.gallery = null;
    const e = this.engine;
    this.engine = null;
    this.info = null;
    await e?.release();
  }

  compress(image: Blob, ctx: HostContext): Promise<CompressResult> {
    return this.guarded(ctx.signal, () => this.compressNow(image, ctx));
  }

  private async compressNow(image: Blob, ctx: HostContext): Promise<CompressResult> {
    const engine = this.requireEngine();
    const t0 = now();
    const rgba = await decodeImage(image, engine.info.imageSize, (image as File).name ? `"${(image as File).name}"` : 'The image');
    ctx.signal.throwIfAborted();
    const t1 = now();
    const c = await engine.compressImage(rgba); // orientation was applied by the browser's decoder
    return { modelId: c.modelId, K: c.K, d: c.d, tokens: c.tokens, embedding: f32ArrayToF16(c.embedding), decodeMs: t1 - t0, modelMs: now() - t1 };
  }

  /** Pass 1 of an image file with the summary tokens' attention map over its patches. */
  attentionMap(image: Blob, opts: AttentionMapOptions, ctx: HostContext): Promise<AttentionMapResult> {
    return this.guarded(ctx.signal, () => this.attentionMapNow(image, opts, ctx));
  }

  private async attentionMapNow(image: Blob, opts: AttentionMapOptions, ctx: HostContext): Promise<AttentionMapResult> {
    const engine = this.requireEngine();
    const t0 = now();
    const rgba = await decodeImage(image, engine.info.imageSize, (image as File).name ? `"${(image as File).name}"` : 'The image');
    ctx.signal.throwIfAborted();
    const t1 = now();
    const r = await engine.attentionMapImage(rgba, { perToken: opts.perToken });
    return { grid: r.grid, heat: r.heat, perToken: r.perToken, K: r.K, path: r.path, decodeMs: t1 - t0, modelMs: now() - t1 };
  }

  private chatFor(req: ChatRequest): { chat: OpenChat; reused: boolean } {
    const engine = this.requireEngine();
    const kPrime = req.kPrime ?? req.tokens.K;
    const open = this.chats.get(req.chatId);
    const reused = open !== undefined && open.modelId === req.tokens.modelId && open.kPrime === kPrime
      && sameValues(open.tokens, req.tokens.data) && sameHistory(open.session.turns, req.history);
    this.chats.delete(req.chatId);
    let chat: OpenChat;
    if (reused) chat = open!;
    else {
      open?.session.dispose();
      chat = { session: engine.openChat(req.tokens, { kPrime, history: req.history }), modelId: req.tokens.modelId, kPrime, tokens: req.tokens.data.slice() };
    }
    this.chats.set(req.chatId, chat);
    while (this.chats.size > MAX_OPEN_CHATS) {
      const [id, oldest] = this.chats.entries().next().value as [string, OpenChat];
      oldest.session.dispose();
      this.chats.delete(id);
    }
    return { chat, reused };
  }

  /**
   * Streams an answer. A device loss before the first token is retried on the rebuilt engine; after tokens were
   * streamed the answer cannot be taken back, so it ends with DeviceLostError once the engine runs again.
   */
  async *chat(req: ChatRequest, ctx: HostContext): AsyncGenerator<ChatEvent> {
    if (this.rebuilding) await this.rebuilding.catch(() => undefined);
    const gen = this.generation;
    let streamed = false;
    try {
      for await (const ev of this.chatNow(req, ctx)) {
        streamed = true;
        yield ev;
      }
    } catch (e) {
      if (ctx.signal.aborted || !(await this.lostUnder(e, gen))) throw e;
      await this.recover(gen);
      if (streamed) {
        throw new DeviceLostError(`The GPU device was lost while answering, so the answer was cut short. The engine runs again on ${this.info?.device ?? 'the CPU'}: ask again.`);
      }
      yield* this.chatNow(req, ctx);
    }
  }

  private async *chatNow(req: ChatRequest, ctx: HostContext): AsyncGenerator<ChatEvent> {
    const { chat, reused } = this.chatFor(req);
    const it = chat.session.ask(req.question, { ...req.options, signal: ctx.signal });
    let finished = false;
    try {
      let r = await it.next();
      while (!r.done) {
        yield { kind: 'token', id: r.value.id, delta: r.value.delta };
        r = await it.next();
      }
      finished = true;
      yield { kind: 'done', ids: r.value.ids, text: r.value.text, reason: r.value.reason, stats: r.value.stats, reusedCache: reused };
    } finally {
      if (!finished) await it.return(undefined as never); // records the partial answer in the session
    }
  }

  caption(req: CaptionRequest, ctx: HostContext): Promise<string> {
    return this.guarded(ctx.signal, async () => {
      const r = await this.requireEngine().caption(req.tokens as TokensInput, { ...req.options, kPrime: req.kPrime, signal: ctx.signal });
      return r.text;
    });
  }

  embedText(text: string): Promise<Float32Array> {
    return this.guarded(undefined, () => this.requireEngine().embedText(text));
  }

  /** Keeps the stored embeddings for search; uploads them to the GPU when the decoder runs on WebGPU. */
  setGallery(m: EmbeddingMatrix): Promise<{ size: number; onGpu: boolean }> {
    return this.guarded(undefined, () => this.setGalleryNow(m));
  }

  private async setGalleryNow(m: EmbeddingMatrix): Promise<{ size: number; onGpu: boolean }> {
    const engine = this.requireEngine();
    this.galleryMatrix = m;
    const cpu = new Gallery(m);
    this.gallery?.gpu?.destroy();
    this.gallery = { cpu, gpu: null };
    if (engine.info.devices.decoder === 'webgpu' && cpu.size > 0 && m.d % 2 === 0) {
      this.gallery.gpu = await gpuGallery(m);
    }
    return { size: cpu.size, onGpu: this.gallery.gpu !== null };
  }

  search(query: string, k: number): Promise<SearchHit[]> {
    return this.guarded(undefined, async () => {
      const engine = this.requireEngine();
      if (!this.gallery) throw new Error('search() needs the stored embeddings first: call setGallery().');
      const gpu = this.gallery.gpu;
      return engine.search(query, k, this.gallery.cpu, gpu && k <= gpu.maxK ? gpu.topK : undefined);
    });
  }

  /** Top-k rows for an embedding: the GPU store when there is one (and k fits the kernel), else the JS scan. */
  rankGallery(query: Float32Array, k: number): Promise<TopK> {
    return this.guarded(undefined, async () => {
      if (!this.gallery) throw new Error('rankGallery() needs the stored embeddings first: call setGallery().');
      const { cpu, gpu } = this.gallery;
      if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
      const kk = Math.min(k, cpu.size);
      if (kk === 0) return { indices: new Int32Array(0), scores: new Float32Array(0) };
      return gpu && kk <= gpu.maxK ? gpu.topK(query, kk) : cpu.topK(query, kk);
    });
  }
}

/** The gallery in GPU memory, searched with the similarityTopK kernel (loaded only where WebGPU exists). */
async function gpuGallery(m: EmbeddingMatrix): Promise<GpuGallery> {
  const [{ getOrtDevice }, k] = await Promise.all([import('../gpu/ort'), import('../kernels/similarityTopK')]);
  const device = await getOrtDevice();
  const store = k.createEmbeddingStore(device, { d: m.d, dtype: 'f16', initialCapacity: m.photoIds.length });
  k.appendEmbeddings(store, m.data);
  return {
    maxK: k.TOPK_MAX_K,
    topK: async (query, kk) => {
      const r = await k.searchTopK(store, query, kk);
      return { indices: r.indices, scores: r.scores };
    },
    destroy: () => k.destroyEmbeddingStore(store),
  };
}
