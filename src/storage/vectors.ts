// Reading stored tokens (for chat: they replace the image in pass 2) and embeddings (for search: one batch
// per model, ready to upload to the GPU).

import { LibraryCorruptError } from './errors';
import type { Library } from './library';
import { decodeTokens, type StoredTokens } from './tokenCodec';

/**
 * The photo's tokens for `modelId`, decoded and validated (TokenFormatError if the bytes are damaged), or
 * undefined when there are none for that model (not indexed yet, or stale: tokens of another model).
 */
export async function getTokens(lib: Library, photoId: string, modelId: string): Promise<StoredTokens | undefined> {
  const rec = await (await lib.connection()).get('tokens', [photoId, modelId]);
  return rec ? decodeTokens(rec.bytes, modelId) : undefined;
}

/** Every embedding of one model as one matrix. */
export interface EmbeddingMatrix {
  modelId: string;
  d: number; // 0 when the matrix is empty
  photoIds: string[]; // (N,) row i of `data` belongs to photoIds[i]
  data: Uint16Array; // (N, d) fp16 bits, row-major, rows L2-normalised
}

/**
 * Loads all embeddings of `modelId` in one request (getAll on the by-model index) and packs them into one
 * contiguous (N, d) fp16 array. Only photos indexed with that model have one, so stale photos are left out.
 */
export async function loadEmbeddings(lib: Library, modelId: string): Promise<EmbeddingMatrix> {
  const records = await (await lib.connection()).getAllFromIndex('embeddings', 'by-model', modelId);
  const n = records.length;
  const d = n > 0 ? records[0].d : 0;
  const data = new Uint16Array(n * d);
  const photoIds = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (r.d !== d || r.vector.length !== d) {
      throw new LibraryCorruptError(`embedding of photo ${r.photoId} has d=${r.vector.length}, others of model ${modelId} have d=${d}`);
    }
    data.set(r.vector, i * d);
    photoIds[i] = r.photoId;
  }
  return { modelId, d, photoIds, data };
}
