// What the app needs from the engine, as one small interface (the "port"). The app's non-React modules
// (indexing runner, search, chat, model loading) and the UI call only this; `engineAdapter.ts` maps it onto
// the worker-backed EngineApi (src/engine/api.ts), and the UI tests plug in a deterministic fake. Keeping the
// port narrow means a change in the engine's interface is one adapter edit, not a UI rewrite.

import type { BackendStatus } from '../engine/api';
import type { Progress } from '../engine/protocol';
import type { ChatTurn } from '../storage/records';

/** Where a model package comes from: a URL (served folder) or the files of a folder the user picked. */
export type ModelSource =
  | { kind: 'url'; url: string }
  | { kind: 'files'; files: File[] };

/** Facts about the loaded model that the UI shows and the app needs (all plain data). */
export interface ModelInfo {
  modelId: string;
  name: string;
  /** Where it was loaded from, in words (a URL, or "the folder you picked (…)"). */
  source: string;
  /** Base URL of the package when loaded from a URL (the sample photos and the model card are fetched from it). */
  baseUrl: string | null;
  /** K summary tokens per photo and the decoder's hidden size d. */
  K: number;
  d: number;
  /** K' values the model answers from (sorted, each <= K); [] = K only. */
  nestedK: number[];
  /** e.g. { decoder: 'int8', vision: 'int8', compute: 'float32' } */
  quantization: Record<string, string | number>;
  /** 2*K*d: the stored summary tokens of one photo, fp16. */
  bytesPerPhoto: number;
  /** Package paths of the bundled sample photos (samples/*.png in the manifest's files). */
  samples: string[];
  /** Package path of the model card (markdown), when the package has one. */
  modelCard: string | null;
  /** The question a caption asks (manifest chatTemplate.captionQuestion). */
  captionQuestion: string;
  /** Vision input size [height, width] and the vision patch grid [rows, cols] (for the heatmap). */
  imageSize: [number, number];
  patchGrid: [number, number];
  /** The backend the model's sessions run on ('webgpu' | 'wasm' | ...). */
  device: string;
  /** What this engine can do beyond indexing, chat and search. */
  capabilities: { attentionMap: boolean };
}

/** One photo's stored summary tokens, as the engine takes them back for pass 2. */
export interface TokensInput {
  modelId: string;
  K: number;
  d: number;
  /** (K, d) fp16 bits, row-major. */
  data: Uint16Array;
}

/** Pass 1 output for one photo. */
export interface CompressResult {
  modelId: string;
  K: number;
  d: number;
  /** (K, d) fp16 bits, row-major. */
  tokens: Uint16Array;
  /** (d,) fp16 bits, L2-normalised mean of the tokens; storage computes it when absent. */
  embedding?: Uint16Array;
}

export interface ChatInput {
  tokens: TokensInput;
  /** Use the first k summary tokens (k in nestedK, or K). */
  k: number;
  /** Earlier turns of this chat, oldest first. */
  history: ChatTurn[];
  question: string;
  /** Most tokens to generate (the engine's default when absent). */
  maxTokens?: number;
  /** A caption request (the question is the model's caption question; the engine's caption length applies). */
  caption?: boolean;
  /** Same key for the turns of one conversation: the engine keeps its KV cache while the history matches. */
  session?: string;
}

/** What the summary tokens attended to in pass 1: (rows, cols) over the vision patch grid (attention mass, any
 *  non-negative scale; the overlay normalises it). */
export interface AttentionMap {
  rows: number;
  cols: number;
  /** (rows, cols) row-major */
  values: Float32Array;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** The photos' embeddings as the engine takes them for ranking on its GPU device. */
export interface GalleryMatrix {
  modelId: string;
  d: number;
  photoIds: string[];
  /** (N, d) fp16 bits, row-major, rows L2-normalised. */
  data: Uint16Array;
}

/** Ranking in the engine (the WGSL similarityTopK kernel on the engine's GPU device). */
export interface GalleryRanker {
  /** Hands over the library's embeddings (an empty matrix frees them); true when they are on the GPU. */
  upload(m: GalleryMatrix, opts?: CallOptions): Promise<boolean>;
  /** Top-k rows for an embedding, best first. */
  rank(query: Float32Array, k: number, opts?: CallOptions): Promise<{ index: number; score: number }[]>;
}

export interface AppEngine {
  probe(): Promise<BackendStatus>;
  /** Fetches, checks and starts a model package; reports progress (download, compile). */
  loadModel(source: ModelSource, opts?: CallOptions & { onProgress?: (p: Progress) => void }): Promise<ModelInfo>;
  /** Pass 1: image -> K summary tokens. */
  compress(image: Blob, opts?: CallOptions): Promise<CompressResult>;
  /** Pass 2 from stored tokens: the answer's text pieces as they are decoded. */
  chat(input: ChatInput, opts?: CallOptions): AsyncIterable<string>;
  /** A search query -> (d,) fp32 embedding (pass 1 with text in place of the image). */
  embedText(text: string, opts?: CallOptions): Promise<Float32Array>;
  /** The attention of the summary tokens over the image in pass 1; null when the engine cannot compute it. */
  attentionMap(image: Blob, opts?: CallOptions): Promise<AttentionMap | null>;
  /**
   * Calls `cb` when the engine rebuilt itself on another GPU device or on wasm (the GPU device was lost): the
   * model's facts there, or null with the reason it could not start again. Returns an unsubscribe function.
   */
  onBackendChange?(cb: (change: { model: ModelInfo | null; error: string | null }) => void): () => void;
  /** GPU ranking, when the engine has it; search measures it against its own JS scan (src/app/rankPath.ts). */
  gallery?: GalleryRanker;
}
