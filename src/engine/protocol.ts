// The worker protocol: every message is a plain, structured-cloneable object discriminated by `kind`.
//
//   client -> worker   { kind: 'call', id, method, args }      start a request
//                      { kind: 'cancel', id }                   abort it (the handler's signal fires)
//   worker -> client   { kind: 'progress', id, progress }       0..n, while it runs
//                      { kind: 'yield', id, value }              0..n, streaming methods only (chat tokens)
//                      { kind: 'return', id, value }             exactly one of return | throw ends a request
//                      { kind: 'throw', id, error }
//                      { kind: 'event', event }                  news not tied to a request (EngineEvent)
//
// ArrayBuffers may be transferred in either direction (see rpc.ts `transfer`). Ids are unique per client.

import type {
  AttentionMapOptions, AttentionMapResult, BackendStatus, CaptionRequest, ChatEvent, ChatRequest, CompressResult, EmbeddingMatrix, ModelInfo, ModelSourceSpec, SearchHit, TopK,
} from './api';

export type RequestId = number;

/** Progress of a long operation; `timeElapsed` is milliseconds since the call started. */
export interface Progress {
  phase: string;
  /** Bytes or items done / to do, when known. */
  loaded?: number;
  total?: number;
  /** One line for the UI, e.g. "Downloading decoder.onnx (12 / 40 MB)". */
  text: string;
  timeElapsed: number;
}

/** An error as it crosses the boundary; see errors.ts for (de)serialisation. */
export interface SerializedError {
  name: string;
  message: string;
  /** What the user can do. */
  hint?: string;
  data?: Record<string, unknown>;
  stack?: string;
}

export interface CallMessage { kind: 'call'; id: RequestId; method: string; args: unknown[] }
export interface CancelMessage { kind: 'cancel'; id: RequestId }
export type ClientMessage = CallMessage | CancelMessage;

export interface ReturnMessage { kind: 'return'; id: RequestId; value: unknown }
export interface ThrowMessage { kind: 'throw'; id: RequestId; error: SerializedError }
export interface ProgressMessage { kind: 'progress'; id: RequestId; progress: Progress }
export interface YieldMessage { kind: 'yield'; id: RequestId; value: unknown }
export interface EventMessage { kind: 'event'; event: EngineEvent }
export type ServerMessage = ReturnMessage | ThrowMessage | ProgressMessage | YieldMessage | EventMessage;

/**
 * What the worker tells the page on its own. 'backend-changed': the GPU device was lost and the engine
 * rebuilt itself; `status` is the backend now in use (a new device, or wasm with the reason), `model` the
 * model's facts on it (null when none is loaded or it could not start again: `error` says why).
 */
export type EngineEvent = { kind: 'backend-changed'; status: BackendStatus; model: ModelInfo | null; error: string | null };

/**
 * The engine worker's methods as they travel: data arguments only. A method returning a Promise replies
 * once; a method returning an AsyncIterable streams 'yield's and ends with 'return'. The client-facing
 * EngineApi (api.ts) adds per-call options (AbortSignal, progress callbacks) that stay on the main thread.
 */
export interface EngineMethods {
  probe(): Promise<BackendStatus>;
  /** Progress: phase 'download' (bytes) then 'compile' (sessions). */
  loadModel(source: ModelSourceSpec): Promise<ModelInfo>;
  compress(image: Blob): Promise<CompressResult>;
  chat(req: ChatRequest): AsyncIterable<ChatEvent>;
  caption(req: CaptionRequest): Promise<string>;
  embedText(text: string): Promise<Float32Array>;
  setGallery(gallery: EmbeddingMatrix): Promise<{ size: number; onGpu: boolean }>;
  search(query: string, k: number): Promise<SearchHit[]>;
  rankGallery(query: Float32Array, k: number): Promise<TopK>;
  unloadModel(): Promise<void>;
  attentionMap(image: Blob, opts: AttentionMapOptions): Promise<AttentionMapResult>;
}
