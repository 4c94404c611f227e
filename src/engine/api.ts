// EngineApi: what the UI can ask of the engine. The UI only ever sees this interface; the implementation
// (client.ts) forwards to the engine worker (worker.ts) over the typed protocol (protocol.ts, rpc.ts).

import type { DeviceLossRecord } from '../gpu/ort';
import type { GpuAdapterSummary, GpuFeaturesOfInterest, GpuLimitsOfInterest, GpuProbe } from '../gpu/probe';
import type { EmbeddingMatrix } from '../storage/vectors';
import type { ChatTurn, StopReason, AnswerStats } from './core/chat';
import type { ModelInfo as CoreModelInfo, TokensInput } from './core/engine';
import type { SearchHit, TopK } from './core/search';
import type { Progress } from './protocol';

export type { ChatTurn, StopReason, AnswerStats, TokensInput, SearchHit, TopK, EmbeddingMatrix };

interface BackendStatusCommon {
  /** onnxruntime-web version in the worker. */
  ortVersion: string;
  /** ORT wasm threads (1 unless the page is cross-origin isolated). */
  wasmThreads: number;
  crossOriginIsolated: boolean;
  /** The raw probe (adapter limits and features, or why WebGPU is unusable). */
  probe: GpuProbe;
  /** Milliseconds the worker took to probe and start ORT (includes the WebGPU self-test). */
  startupMs: number;
  /** GPU device losses so far and what the engine did (a new device, or wasm); absent or null: none. */
  deviceLoss?: DeviceLossRecord | null;
}

export type { DeviceLossRecord };

/** What onBackendChange reports: the backend after a device loss, and the model's facts on it. */
export interface BackendChange {
  status: BackendStatus;
  /** null: no model loaded, or it could not start again (`error` says why). */
  model: ModelInfo | null;
  error: string | null;
}

/** The compute backend the engine actually runs on, as measured inside the worker. */
export type BackendStatus =
  | (BackendStatusCommon & {
      backend: 'webgpu';
      adapter: GpuAdapterSummary;
      isFallbackAdapter: boolean;
      supportsF16: boolean;
      /** Precision our kernels and models use: fp16 needs shader-f16. */
      compute: 'fp16' | 'fp32';
      /** Limits of ORT's device, the one our kernels run on (may be below the adapter's). */
      deviceLimits: GpuLimitsOfInterest;
      deviceFeatures: GpuFeaturesOfInterest;
    })
  | (BackendStatusCommon & {
      backend: 'wasm';
      /** Why WebGPU is not used, in words for the UI. */
      reason: string;
      compute: 'fp32';
    });

/** Where a model package comes from. Relative URLs are resolved against the page by the client. */
export type ModelSourceSpec =
  | { kind: 'url'; url: string }
  | { kind: 'files'; files: File[] } // from <input type="file" webkitdirectory>
  | { kind: 'directory'; handle: FileSystemDirectoryHandle }; // from showDirectoryPicker()

/** The loaded model's facts (structured-cloneable). */
export interface ModelInfo extends CoreModelInfo {
  /** Base URL of the package when it was loaded from a URL (samples and model card live under it). */
  baseUrl: string | null;
  /** The backend the decoder really runs on ('webgpu' | 'wasm'). */
  device: string;
}

/** Pass 1 of one photo, as the library stores it. */
export interface CompressResult {
  modelId: string;
  K: number;
  d: number;
  tokens: Uint16Array; // (K, d) fp16 bits
  embedding: Uint16Array; // (d,) fp16 bits, L2-normalised mean over K
  /** Milliseconds spent decoding + preprocessing, and in the model. */
  decodeMs: number;
  modelMs: number;
}

export interface GenerationOptions {
  /** Most tokens to generate (default 64; captions 80). */
  maxTokens?: number;
  /** 0 (default) = greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
}

export interface ChatRequest {
  /** Chats with the same id reuse the worker's KV cache while their history matches what it has read. */
  chatId: string;
  tokens: TokensInput;
  /** Use the first kPrime summary tokens (one of ModelInfo.tokenCounts; default K). */
  kPrime?: number;
  /** Earlier turns, oldest first (answerIds make the replay exact when the cache is gone). */
  history: ChatTurn[];
  question: string;
  options?: GenerationOptions;
}

/** What chat() streams: tokens as they are decoded, then one 'done'. */
export type ChatEvent =
  | { kind: 'token'; id: number; delta: string }
  | { kind: 'done'; ids: number[]; text: string; reason: StopReason; stats: AnswerStats; reusedCache: boolean };

export interface CaptionRequest {
  tokens: TokensInput;
  kPrime?: number;
  options?: GenerationOptions;
}

/** attentionMap(): the pass-1 attention of the summary tokens over the photo's patches (paper Fig. 4). */
export interface AttentionMapResult {
  /** Patch grid [rows, cols]; heat is row-major over it (V = rows * cols). */
  grid: [number, number];
  /** (V) mean over the K summary tokens, heads and layers of the attention probability on each patch. */
  heat: Float32Array;
  /** (K, V) per summary token, when asked with perToken. */
  perToken?: Float32Array;
  K: number;
  /** Computed by the WGSL kernels (WebGPU) or in JS on the CPU (wasm). */
  path: 'kernels' | 'cpu';
  /** Milliseconds decoding + preprocessing, and in the model. */
  decodeMs: number;
  modelMs: number;
}

export interface AttentionMapOptions {
  /** Also return the (K, V) per-summary-token maps. */
  perToken?: boolean;
}

export interface CallOpts {
  signal?: AbortSignal;
}

export interface EngineApi {
  /** Probes WebGPU and starts ONNX Runtime in the worker; reports the backend really in use. */
  probe(): Promise<BackendStatus>;
  /** Fetches (or reads) and checks a model package, creates the sessions; progress goes to the store. */
  loadModel(source: ModelSourceSpec, opts?: CallOpts & { onProgress?: (p: Progress) => void }): Promise<ModelInfo>;
  /** Pass 1: an image file (JPEG, PNG, WebP, GIF) -> K summary tokens (K, d) fp16 and the embedding. */
  compress(image: Blob, opts?: CallOpts): Promise<CompressResult>;
  /** Pass 2 from stored tokens; tokens stream as they are decoded. Breaking out of the loop cancels. */
  chat(req: ChatRequest, opts?: CallOpts): AsyncIterable<ChatEvent>;
  /** One caption (the model's caption question). */
  caption(req: CaptionRequest, opts?: CallOpts): Promise<string>;
  /** A search query -> its (d,) fp32 embedding. */
  embedText(text: string, opts?: CallOpts): Promise<Float32Array>;
  /** Hands the worker the stored embeddings of the loaded model (once, and after the library changes). */
  setGallery(gallery: EmbeddingMatrix, opts?: CallOpts): Promise<{ size: number; onGpu: boolean }>;
  /** Top-k photos of the gallery for a text query. */
  search(query: string, k: number, opts?: CallOpts): Promise<SearchHit[]>;
  /** Top-k rows of the gallery for an embedding (d,): on the GPU kernel when the gallery is on the GPU, else a JS scan in the worker. */
  rankGallery(query: Float32Array, k: number, opts?: CallOpts): Promise<TopK>;
  /** Pass 1 of an image file with its attention map (heatmap over the photo); see ModelInfo.attentionMaps. */
  attentionMap(image: Blob, opts?: CallOpts & AttentionMapOptions): Promise<AttentionMapResult>;
  /** Calls `cb` when the engine changed backend by itself (GPU device lost). Returns an unsubscribe function. */
  onBackendChange(cb: (change: BackendChange) => void): () => void;
}
