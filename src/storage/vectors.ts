// Reading stored tokens (for chat: they replace the image in pass 2) and embeddings (for search: one batch
// per model, ready to upload to the GPU).

import { modelShardRange, readEmbedding } from './embeddingShards';
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

/** One photo's embedding (d,) fp16 for `modelId`, or undefined. */
export async function getEmbedding(lib: Library, photoId: string, modelId: string): Promise<Uint16Array | undefined> {
  return lib.read(['embeddings'], (tx) => readEmbedding(tx.store, photoId, modelId));
}

/** Every embedding of one model as one matrix. */
export interface EmbeddingMatrix {
  modelId: string;
  d: number; // 0 when the matrix is empty
  photoIds: string[]; // (N,) row i of `data` belongs to photoIds[i] (sorted by photo id)
  data: Uint16Array; // (N, d) fp16 bits, row-major, rows L2-normalised
}

/**
 * Loads all embeddings of `modelId` in one request (getAll over the model's <= 256 shards) and packs them into
 * one contiguous (N, d) fp16 array. Only photos indexed with that model have one, so stale photos are left out.
 */
export async function loadEmbeddings(lib: Library, modelId: string): Promise<EmbeddingMatrix> {
  const shards = await (await lib.connection()).getAll('embeddings', modelShardRange(modelId));
  const d = shards.length > 0 ? shards[0].d : 0;
  let n = 0;
  for (const s of shards) {
    if (s.d !== d || s.vectors.length !== s.photoIds.length * d) {
      throw new LibraryCorruptError(`embedding shard ${s.shard} of model ${modelId} holds ${s.vectors.length} values for ${s.photoIds.length} photos of d=${s.d} (others: d=${d})`);
    }
    n += s.photoIds.length;
  }
  const data = new Uint16Array(n * d); // (N, d)
  const photoIds: string[] = [];
  for (const s of shards) {
    data.set(s.vectors, photoIds.length * d);
    for (const id of s.photoIds) photoIds.push(id);
  }
  return { modelId, d, photoIds, data };
}
