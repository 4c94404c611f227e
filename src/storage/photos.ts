// Adding, listing, reading and deleting photos. Each change is one transaction (library.ts `write`).

import { unwrap } from 'idb';
import { removeEmbedding } from './embeddingShards';
import { PhotoNotFoundError } from './errors';
import type { Library } from './library';
import { requestPersistence } from './quota';
import { PHOTO_ID_PATTERN, type OriginalRecord, type PhotoRecord, type PhotoStatus, type ThumbnailRecord } from './records';
import { CONTENT_STORES, photoKeyRange } from './schema';

/** A photo ready to be added (photoInput.ts `preparePhoto` makes one from a File). */
export interface NewPhoto {
  id: string; // sha-256 hex of `original`'s bytes
  name: string;
  type: string;
  byteSize: number;
  width: number;
  height: number;
  capturedAt?: string;
  thumbnail: Omit<ThumbnailRecord, 'photoId'>;
  original: Blob;
  failReason?: string; // add it as 'failed' with this reason instead of queuing it
}

export type AddOutcome = 'added' | 'duplicate' | 'requeued';
export interface AddResult {
  id: string;
  outcome: AddOutcome; // 'requeued': it was failed or stale; its original was stored again and it is pending
}

let persistenceAsked = false;

/**
 * Adds photos in ONE transaction (all or none): each new photo's record, thumbnail, original and indexing job.
 * A photo already in the library (same content hash) is a 'duplicate' unless it is failed or stale, in which
 * case its original is stored again and it is queued ('requeued'). A quota failure throws StorageFullError
 * and adds none of the batch; add big selections in batches (e.g. 20 files) so progress is kept.
 */
export async function addPhotos(lib: Library, photos: NewPhoto[], now = Date.now()): Promise<AddResult[]> {
  for (const p of photos) {
    if (!PHOTO_ID_PATTERN.test(p.id)) throw new RangeError(`addPhotos: id ${JSON.stringify(p.id.slice(0, 70))} is not a SHA-256 hex string (use preparePhoto)`);
  }
  if (!persistenceAsked) {
    persistenceAsked = true;
    void requestPersistence();
  }
  return lib.write('add photos', ['photos', 'thumbnails', 'originals', 'jobs'], async (tx) => {
    const results: AddResult[] = [];
    const photoStore = tx.objectStore('photos');
    for (const p of photos) {
      const existing = await photoStore.get(p.id);
      const original: OriginalRecord = { photoId: p.id, type: p.type, blob: p.original };
      if (existing) {
        if (existing.status !== 'failed' && existing.status !== 'stale') {
          results.push({ id: p.id, outcome: 'duplicate' });
          continue;
        }
        const requeued: PhotoRecord = { ...existing, status: 'pending' };
        delete requeued.failReason;
        await photoStore.put(requeued);
        await tx.objectStore('originals').put(original);
        await tx.objectStore('jobs').put({ photoId: p.id, state: 'pending', enqueuedAt: now, attempts: 0 });
        results.push({ id: p.id, outcome: 'requeued' });
        continue;
      }
      const record: PhotoRecord = {
        id: p.id, name: p.name, type: p.type, byteSize: p.byteSize, width: p.width, height: p.height,
        addedAt: now, status: p.failReason === undefined ? 'pending' : 'failed',
      };
      if (p.capturedAt !== undefined) record.capturedAt = p.capturedAt;
      if (p.failReason !== undefined) record.failReason = p.failReason;
      await photoStore.put(record);
      await tx.objectStore('thumbnails').put({ ...p.thumbnail, photoId: p.id });
      await tx.objectStore('originals').put(original);
      if (record.status === 'pending') await tx.objectStore('jobs').put({ photoId: p.id, state: 'pending', enqueuedAt: now, attempts: 0 });
      results.push({ id: p.id, outcome: 'added' });
    }
    return results;
  }, (results) => {
    const ids = results.filter((r) => r.outcome !== 'duplicate').map((r) => r.id);
    return ids.length ? { kind: 'photos-added', photoIds: ids } : null;
  });
}

export async function getPhoto(lib: Library, id: string): Promise<PhotoRecord | undefined> {
  return (await lib.connection()).get('photos', id);
}

/** Photos by id, in the order asked (undefined where missing). One transaction. */
export async function getPhotos(lib: Library, ids: readonly string[]): Promise<(PhotoRecord | undefined)[]> {
  return lib.read(['photos'], (tx) => Promise.all(ids.map((id) => tx.store.get(id))));
}

export async function getThumbnail(lib: Library, id: string): Promise<ThumbnailRecord | undefined> {
  return (await lib.connection()).get('thumbnails', id);
}

export async function getOriginal(lib: Library, id: string): Promise<OriginalRecord | undefined> {
  return (await lib.connection()).get('originals', id);
}

/** Where the last page ended; plain data (can live in the app store). */
export interface PhotoCursor {
  index: 'by-added' | 'by-captured' | 'by-status';
  key: (string | number)[];
}

export interface PhotoQuery {
  status?: PhotoStatus; // only photos with this status (ordered by date added)
  order?: 'added' | 'captured'; // 'captured' lists only photos with an EXIF date
  newestFirst?: boolean; // default true
  limit?: number; // default 100
  after?: PhotoCursor | null; // the `next` of the previous page
}

export interface PhotoPage {
  photos: PhotoRecord[];
  next: PhotoCursor | null; // null when this was the last page
}

// IDBIndex.getAllRecords({query, count, direction}) (Chromium 141+) pages backwards in one request.
interface IndexWithRecords {
  getAllRecords(options: { query?: IDBKeyRange; count?: number; direction?: IDBCursorDirection }): IDBRequest<{ value: PhotoRecord }[]>;
}
const hasGetAllRecords = typeof IDBIndex !== 'undefined' && 'getAllRecords' in IDBIndex.prototype;

function indexKey(index: PhotoCursor['index'], p: PhotoRecord): (string | number)[] {
  if (index === 'by-status') return [p.status, p.addedAt, p.id];
  if (index === 'by-captured') return [p.capturedAt ?? '', p.id];
  return [p.addedAt, p.id];
}

/** One page of photo records (metadata only, no thumbnails), in date order. */
export async function listPhotos(lib: Library, q: PhotoQuery = {}): Promise<PhotoPage> {
  const limit = q.limit ?? 100;
  const newestFirst = q.newestFirst ?? true;
  if (q.status !== undefined && q.order === 'captured') throw new RangeError('listPhotos: a status filter lists by date added only');
  const index: PhotoCursor['index'] = q.status !== undefined ? 'by-status' : q.order === 'captured' ? 'by-captured' : 'by-added';
  if (q.after && q.after.index !== index) throw new RangeError(`listPhotos: cursor is for ${q.after.index}, query uses ${index}`);
  const lo: (string | number)[] = q.status !== undefined ? [q.status] : [];
  const hi: unknown[] = q.status !== undefined ? [q.status, []] : [[]];
  let range: IDBKeyRange;
  if (!q.after) range = IDBKeyRange.bound(lo, hi);
  else if (newestFirst) range = IDBKeyRange.bound(lo, q.after.key, false, true);
  else range = IDBKeyRange.bound(q.after.key, hi, true, false);

  const photos = await lib.read(['photos'], async (tx) => {
    const idx = tx.store.index(index);
    if (!newestFirst) return idx.getAll(range, limit);
    if (hasGetAllRecords) {
      const raw = unwrap(idx) as unknown as IndexWithRecords;
      const request = raw.getAllRecords({ query: range, count: limit, direction: 'prev' });
      const records = await new Promise<{ value: PhotoRecord }[]>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      return records.map((r) => r.value);
    }
    const out: PhotoRecord[] = [];
    for (let c = await idx.openCursor(range, 'prev'); c && out.length < limit; c = await c.continue()) out.push(c.value);
    return out;
  });
  const last = photos[photos.length - 1];
  return { photos, next: photos.length === limit && last ? { index, key: indexKey(index, last) } : null };
}

/** Number of photos, or of photos with `status`. */
export async function countPhotos(lib: Library, status?: PhotoStatus): Promise<number> {
  const db = await lib.connection();
  if (status === undefined) return db.count('photos');
  return db.countFromIndex('photos', 'by-status', IDBKeyRange.bound([status], [status, []]));
}

/** Counts per status, in one transaction. */
export async function countByStatus(lib: Library): Promise<Record<PhotoStatus, number>> {
  return lib.read(['photos'], async (tx) => {
    const idx = tx.store.index('by-status');
    const statuses: PhotoStatus[] = ['pending', 'indexing', 'indexed', 'failed', 'stale'];
    const counts = await Promise.all(statuses.map((s) => idx.count(IDBKeyRange.bound([s], [s, []]))));
    return Object.fromEntries(statuses.map((s, i) => [s, counts[i]])) as Record<PhotoStatus, number>;
  });
}

/**
 * Deletes photos and every row that belongs to them (thumbnail, original, tokens and embedding rows of every
 * model, chats, job) in ONE transaction. Returns the ids that existed.
 */
export async function deletePhotos(lib: Library, ids: readonly string[]): Promise<string[]> {
  return lib.write('delete photos', CONTENT_STORES, async (tx) => {
    const deleted: string[] = [];
    for (const id of ids) {
      if ((await tx.objectStore('photos').getKey(id)) === undefined) continue;
      const range = photoKeyRange(id);
      const chatIds = await tx.objectStore('chats').index('by-photo').getAllKeys(range);
      for (const [, model] of await tx.objectStore('tokens').getAllKeys(range)) await removeEmbedding(tx.objectStore('embeddings'), id, model);
      await Promise.all([
        tx.objectStore('photos').delete(id),
        tx.objectStore('thumbnails').delete(id),
        tx.objectStore('originals').delete(id),
        tx.objectStore('tokens').delete(range),
        tx.objectStore('jobs').delete(id),
        ...chatIds.map((c) => tx.objectStore('chats').delete(c)),
      ]);
      deleted.push(id);
    }
    return deleted;
  }, (deleted) => (deleted.length ? { kind: 'photos-deleted', photoIds: deleted } : null));
}

/** Deletes one photo; throws PhotoNotFoundError if it is not there. */
export async function deletePhoto(lib: Library, id: string): Promise<void> {
  const deleted = await deletePhotos(lib, [id]);
  if (deleted.length === 0) throw new PhotoNotFoundError(id);
}

/** Empties the library (every store but settings) in ONE transaction. */
export async function clearLibrary(lib: Library): Promise<void> {
  await lib.write('clear library', CONTENT_STORES, async (tx) => {
    await Promise.all(CONTENT_STORES.map((s) => tx.objectStore(s).clear()));
  }, () => ({ kind: 'cleared', photoIds: [] }));
}
