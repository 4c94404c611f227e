// The main thread's EngineApi: forwards every call to the engine worker and mirrors status, progress and
// errors into the store, so React components only read the store and call these methods.

import { actions } from '../state/store';
import type {
  AttentionMapOptions, AttentionMapResult, BackendChange, BackendStatus, CallOpts, CaptionRequest, ChatEvent, ChatRequest, CompressResult, EmbeddingMatrix, EngineApi, ModelInfo,
  ModelSourceSpec, SearchHit, TopK,
} from './api';
import { serializeError, WorkerCrashedError } from './errors';
import type { EngineEvent, EngineMethods, Progress } from './protocol';
import { RpcClient } from './rpc';

export class EngineClient implements EngineApi {
  private readonly rpc: RpcClient<EngineMethods>;
  private readonly backendListeners = new Set<(change: BackendChange) => void>();

  constructor(private readonly worker: Worker) {
    this.rpc = new RpcClient<EngineMethods>(worker);
    this.rpc.onEvent((e) => this.receiveEvent(e as EngineEvent));
    worker.addEventListener('error', (ev) => {
      const detail = ev instanceof ErrorEvent && ev.message ? ev.message : 'the worker script failed to load or threw';
      this.crash(new WorkerCrashedError(`The engine worker stopped: ${detail}.`));
    });
    worker.addEventListener('messageerror', () => {
      this.crash(new WorkerCrashedError('The engine sent a message this page could not read.'));
    });
  }

  /** Starts the engine worker (a module worker bundled by Vite). */
  static start(): EngineClient {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'fwd2bot-engine' });
    return new EngineClient(worker);
  }

  async probe(): Promise<BackendStatus> {
    actions.setBackend({ kind: 'probing', progress: null });
    try {
      const status = await this.rpc.call('probe', [], {
        onProgress: (progress) => actions.setBackend({ kind: 'probing', progress }),
      });
      actions.setBackend({ kind: 'ready', status });
      return status;
    } catch (e) {
      const s = serializeError(e);
      const error = actions.pushError({ name: s.name, message: s.message, hint: s.hint, source: 'engine' });
      actions.setBackend({ kind: 'failed', error });
      throw e;
    }
  }

  /** Loads a model package in the worker. Download and compile progress go to the store (modelLoad). */
  async loadModel(source: ModelSourceSpec, opts: CallOpts & { onProgress?: (p: Progress) => void } = {}): Promise<ModelInfo> {
    // Relative URLs mean the page's location; the worker's own location differs.
    const spec: ModelSourceSpec = source.kind === 'url' ? { kind: 'url', url: new URL(source.url, globalThis.location?.href).href } : source;
    const label = spec.kind === 'url' ? spec.url : spec.kind === 'files' ? 'picked folder' : spec.handle.name;
    actions.setModelLoad({ modelId: label, progress: { phase: 'start', text: `Loading the model from ${label}`, timeElapsed: 0 } });
    try {
      return await this.rpc.call('loadModel', [spec], {
        signal: opts.signal,
        onProgress: (progress) => {
          actions.setModelLoad({ modelId: label, progress });
          opts.onProgress?.(progress);
        },
      });
    } finally {
      actions.setModelLoad(null);
    }
  }

  compress(image: Blob, opts: CallOpts = {}): Promise<CompressResult> {
    return this.rpc.call('compress', [image], { signal: opts.signal });
  }

  chat(req: ChatRequest, opts: CallOpts = {}): AsyncIterable<ChatEvent> {
    return this.rpc.stream('chat', [req], { signal: opts.signal });
  }

  caption(req: CaptionRequest, opts: CallOpts = {}): Promise<string> {
    return this.rpc.call('caption', [req], { signal: opts.signal });
  }

  embedText(text: string, opts: CallOpts = {}): Promise<Float32Array> {
    return this.rpc.call('embedText', [text], { signal: opts.signal });
  }

  setGallery(gallery: EmbeddingMatrix, opts: CallOpts = {}): Promise<{ size: number; onGpu: boolean }> {
    return this.rpc.call('setGallery', [gallery], { signal: opts.signal });
  }

  search(query: string, k: number, opts: CallOpts = {}): Promise<SearchHit[]> {
    return this.rpc.call('search', [query, k], { signal: opts.signal });
  }

  rankGallery(query: Float32Array, k: number, opts: CallOpts = {}): Promise<TopK> {
    return this.rpc.call('rankGallery', [query, k], { signal: opts.signal });
  }

  attentionMap(image: Blob, opts: CallOpts & AttentionMapOptions = {}): Promise<AttentionMapResult> {
    return this.rpc.call('attentionMap', [image, { perToken: opts.perToken }], { signal: opts.signal });
  }

  onBackendChange(cb: (change: BackendChange) => void): () => void {
    this.backendListeners.add(cb);
    return () => this.backendListeners.delete(cb);
  }

  /** The worker changed backend by itself (GPU device lost): the store shows the new one, listeners hear it. */
  private receiveEvent(e: EngineEvent): void {
    if (e?.kind !== 'backend-changed') return;
    actions.setBackend({ kind: 'ready', status: e.status });
    if (e.error) actions.pushError({ name: 'DeviceLostError', message: e.error, hint: 'Reload the page to start the model again.', source: 'engine' });
    for (const cb of this.backendListeners) cb({ status: e.status, model: e.model, error: e.error });
  }

  unloadModel(): Promise<void> {
    return this.rpc.call('unloadModel', []);
  }

  terminate(): void {
    this.rpc.dispose();
    this.worker.terminate();
  }

  private crash(error: WorkerCrashedError): void {
    this.rpc.fail(error);
  }
}

let engine: EngineClient | null = null;

/** The app's engine, started on first use. */
export function getEngine(): EngineClient {
  engine ??= EngineClient.start();
  return engine;
}
