// Reading and updating one photo's row in the packed embedding shards (records.ts EmbeddingShard), inside
// the caller's transaction: a read-modify-write of one shard (n rows of d fp16), so two tabs writing rows of
// the same shard are serialised by IndexedDB and neither loses the other's row.

import { LibraryCorruptError } from './errors';
import type { EmbeddingShard } from './records';

export const shardOf = (photoId: string): string => photoId.slice(0, 2);

/** The part of an idb object store the shard helpers need (any transaction over 'embeddings'). */
export interface ShardStore {
  get(key: [string, string]): Promise<EmbeddingShard | undefined>;
  put(value: EmbeddingShard): Promise<unknown>;
  delete(key: [string, string]): Promise<void>;
}
export type ShardReader = Pick<ShardStore, 'get'>;

/** Index of photoId in the sorted list, or -(insertion point) - 1. */
function find(ids: string[], photoId: string): number {
  let lo = 0, hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] < photoId) lo = mid + 1;
    else if (ids[mid] > photoId) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

/** Adds or replaces the photo's embedding (d,) fp16 for modelId. */
export async function putEmbedding(store: ShardStore, photoId: string, modelId: string, vector: Uint16Array): Promise<void> {
  const d = vector.length;
  const shard = shardOf(photoId);
  const s = await store.get([modelId, shard]);
  if (!s) {
    await store.put({ modelId, shard, d, photoIds: [photoId], vectors: vector.slice() });
    return;
  }
  if (s.d !== d) throw new LibraryCorruptError(`model ${modelId} has embeddings of d=${s.d}, photo ${photoId.slice(0, 12)} brings d=${d}`);
  const i = find(s.photoIds, photoId);
  if (i >= 0) {
    s.vectors.set(vector, i * d);
  } else {
    const at = -i - 1;
    const vectors = new Uint16Array(s.vectors.length + d); // (n + 1, d)
    vectors.set(s.vectors.subarray(0, at * d), 0);
    vectors.set(vector, at * d);
    vectors.set(s.vectors.subarray(at * d), (at + 1) * d);
    s.photoIds.splice(at, 0, photoId);
    s.vectors = vectors;
  }
  await store.put(s);
}

/** Removes the photo's embedding for modelId (no-op when there is none). */
export async function removeEmbedding(store: ShardStore, photoId: string, modelId: string): Promise<void> {
  const key: [string, string] = [modelId, shardOf(photoId)];
  const s = await store.get(key);
  if (!s) return;
  const i = find(s.photoIds, photoId);
  if (i < 0) return;
  if (s.photoIds.length === 1) {
    await store.delete(key);
    return;
  }
  const d = s.d;
  const vectors = new Uint16Array(s.vectors.length - d); // (n - 1, d)
  vectors.set(s.vectors.subarray(0, i * d), 0);
  vectors.set(s.vectors.subarray((i + 1) * d), i * d);
  s.photoIds.splice(i, 1);
  s.vectors = vectors;
  await store.put(s);
}

/** The photo's embedding (d,) fp16 for modelId, a copy, or undefined. */
export async function readEmbedding(store: ShardReader, photoId: string, modelId: string): Promise<Uint16Array | undefined> {
  const s = await store.get([modelId, shardOf(photoId)]);
  if (!s) return undefined;
  const i = find(s.photoIds, photoId);
  return i >= 0 ? s.vectors.slice(i * s.d, (i + 1) * s.d) : undefined;
}

/** Range of every shard of one model. */
export function modelShardRange(modelId: string): IDBKeyRange {
  return IDBKeyRange.bound([modelId], [modelId, []]);
}
