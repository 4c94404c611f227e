// The records the photo library keeps, shared by the IndexedDB schema (schema.ts) and the library export
// file (libraryFile.ts). Pure types and constants: no browser or Node APIs.

/**
 * pending:  added, waiting in the job queue (its original is kept until indexing finishes)
 * indexing: a tab holds the job's lease and is computing the tokens
 * indexed:  thumbnail + tokens + embedding for `modelId` are all stored (written in one transaction)
 * failed:   indexing gave up; `failReason` says why (retry needs the original)
 * stale:    tokens exist but belong to `modelId`, not the current model; re-index to use them again
 */
export type PhotoStatus = 'pending' | 'indexing' | 'indexed' | 'failed' | 'stale';
export const PHOTO_STATUSES: readonly PhotoStatus[] = ['pending', 'indexing', 'indexed', 'failed', 'stale'];

/** Photo ids are the SHA-256 of the original file's bytes, lowercase hex (64 chars). */
export const PHOTO_ID_PATTERN = /^[0-9a-f]{64}$/;

export interface PhotoRecord {
  id: string; // sha-256 hex of the original bytes: the same file added twice is one photo
  name: string; // file name as added
  type: string; // MIME type of the original, e.g. "image/jpeg"
  byteSize: number; // size of the original in bytes
  width: number; // pixels, after EXIF orientation
  height: number;
  addedAt: number; // ms since the epoch
  capturedAt?: string; // EXIF wall clock "YYYY-MM-DDTHH:MM:SS[+HH:MM]"; absent when the file has none
  status: PhotoStatus;
  failReason?: string; // only when status is 'failed'
  modelId?: string; // model whose tokens are stored (indexed / stale)
  indexedAt?: number; // ms since the epoch, when the tokens were written
}

export interface ThumbnailRecord {
  photoId: string;
  type: string; // MIME type of `bytes`, e.g. "image/jpeg"
  width: number;
  height: number;
  bytes: ArrayBuffer; // encoded image
}

export interface OriginalRecord {
  photoId: string;
  type: string;
  blob: Blob; // the file as added; kept while pending/failed, and after indexing only if settings.keepOriginals
}

export interface TokenRecord {
  photoId: string;
  modelId: string; // equals the model id inside `bytes`
  bytes: ArrayBuffer; // tokenCodec format: "F2BT" header + (K, d) fp16
}

/**
 * The search embeddings of one model, packed: every photo whose id starts with `shard` (2 hex chars, so 256
 * shards per model and a photo's shard never changes). Rows are sorted by photo id. Loading a model's
 * embeddings is one getAll over at most 256 records, instead of one record per photo (15x slower in
 * Chromium at 100k photos, see bench/storage.bench.browser.ts). Each row is the L2-normalised mean of the
 * photo's K tokens for `modelId`.
 */
export interface EmbeddingShard {
  modelId: string;
  shard: string; // photoId.slice(0, 2)
  d: number;
  photoIds: string[]; // (n,) sorted
  vectors: Uint16Array; // (n, d) fp16 bits, row i belongs to photoIds[i]
}

export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
  at: number; // ms since the epoch
  /**
   * Assistant turns only: the answer never finished (the tab closed or crashed, or the engine failed, while it
   * streamed); `text` is what was saved up to then, possibly empty. The question is saved before the answer
   * starts and the answer is saved as it streams, so a chat never loses a question.
   */
  interrupted?: boolean;
}

export interface ChatRecord {
  id: string; // random UUID
  photoId: string;
  createdAt: number;
  updatedAt: number;
  turns: ChatTurn[];
}

/**
 * One unit of indexing work, keyed by photo id (at most one job per photo).
 * A 'running' job is owned by `owner` (a tab id) until `leaseUntil`; a job whose owner tab is gone, or whose
 * lease ran out, may be claimed again (that is how indexing resumes after a reload or a crash).
 */
export interface JobRecord {
  photoId: string;
  state: 'pending' | 'running';
  enqueuedAt: number; // ms since the epoch; the queue is FIFO on (enqueuedAt, photoId)
  attempts: number; // claims so far; a photo that crashed MAX_JOB_ATTEMPTS times is marked failed
  owner?: string; // tab id holding the lease
  leaseUntil?: number; // ms since the epoch
  lastError?: string;
}

export interface Settings {
  keepOriginals: boolean; // keep the original file after indexing (costs space, allows re-indexing)
  currentModelId: string | null; // the model the engine loads; tokens of other models are stale
}

export const DEFAULT_SETTINGS: Settings = { keepOriginals: false, currentModelId: null };

export interface SettingRecord<K extends keyof Settings = keyof Settings> {
  key: K;
  value: Settings[K];
}
