// The photo library in IndexedDB: what is stored where.
//
// Database "fwd2bot-library", schema version DB_VERSION (migrations.ts holds every version's upgrade step).
//
//   store        key                    value (records.ts)   indexes                          holds
//   photos       id (sha-256 hex)       PhotoRecord          by-added   [addedAt, id]          metadata + status of every photo
//                                                            by-captured [capturedAt, id]      (only photos with an EXIF date)
//                                                            by-status  [status, addedAt, id]  (v2)
//   thumbnails   photoId                ThumbnailRecord      -                                 small encoded image (JPEG, <= 320 px)
//   originals    photoId                OriginalRecord       -                                 the file as added (Blob); kept while
//                                                                                              pending/failed, after indexing only if
//                                                                                              settings.keepOriginals
//   tokens       [photoId, modelId]     TokenRecord          by-model   modelId                K summary tokens: tokenCodec bytes
//                                                                                              ("F2BT" header + (K, d) fp16)
//   embeddings   [modelId, shard]       EmbeddingShard       -                                 (v2) per model, 256 shards by the first
//                                                                                              2 hex chars of the photo id, each
//                                                                                              (n, d) fp16 rows of L2-normalised token
//                                                                                              means; getAll over [modelId] = search
//   chats        id (uuid)              ChatRecord           by-photo   [photoId, createdAt]   conversations about a photo
//   jobs         photoId                JobRecord            by-queue   [enqueuedAt, photoId]  (v2) indexing queue, survives reloads
//   settings     key                    SettingRecord        -                                 user settings (records.ts: Settings)
//
// Invariants (each kept by writing the rows of one change in ONE transaction):
//   status 'indexed'  <=> thumbnail, tokens [id, modelId] and a row for id in embeddings [modelId, id[0:2]] exist
//   an embedding row for (photo, model) exists only beside tokens [photo, model]
//   status 'pending'  =>  a job and the original exist
//   no row in any store outlives its photo (deletePhotos removes them all in one transaction)
// Thumbnails and originals are apart from `photos` so listing 10k photos reads only small records.

import type { DBSchema, StoreNames } from 'idb';
import type {
  ChatRecord, EmbeddingShard, JobRecord, OriginalRecord, PhotoRecord, PhotoStatus, SettingRecord, ThumbnailRecord, TokenRecord,
} from './records';

export const DB_NAME = 'fwd2bot-library';
export const DB_VERSION = 2;

export interface LibrarySchema extends DBSchema {
  photos: {
    key: string;
    value: PhotoRecord;
    indexes: { 'by-added': [number, string]; 'by-captured': [string, string]; 'by-status': [PhotoStatus, number, string] };
  };
  thumbnails: { key: string; value: ThumbnailRecord };
  originals: { key: string; value: OriginalRecord };
  tokens: { key: [string, string]; value: TokenRecord; indexes: { 'by-model': string } };
  embeddings: { key: [string, string]; value: EmbeddingShard };
  chats: { key: string; value: ChatRecord; indexes: { 'by-photo': [string, number] } };
  jobs: { key: string; value: JobRecord; indexes: { 'by-queue': [number, string] } };
  settings: { key: string; value: SettingRecord };
}

export type StoreName = StoreNames<LibrarySchema>;

export const ALL_STORES: readonly StoreName[] = [
  'photos', 'thumbnails', 'originals', 'tokens', 'embeddings', 'chats', 'jobs', 'settings',
];

/** Stores holding library content (everything but settings): what clearLibrary empties. */
export const CONTENT_STORES = ['photos', 'thumbnails', 'originals', 'tokens', 'embeddings', 'chats', 'jobs'] as const;

/** Key range of every [photoId, *] key (tokens) or [photoId, *] index key (chats by-photo). */
export function photoKeyRange(photoId: string): IDBKeyRange {
  return IDBKeyRange.bound([photoId], [photoId, []]); // arrays sort after numbers and strings
}
