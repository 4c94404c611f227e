import { openDB } from 'idb';
import { afterEach, describe, expect, test } from 'vitest';
import { LibraryOutdatedError, getEmbedding, listJobs, listPhotos, loadEmbeddings, openLibrary, verifyLibrary } from '../../../src/storage';
import { meanEmbedding } from '../../../src/storage/embedding';
import { MIGRATIONS, runMigrations, type V1EmbeddingRow } from '../../../src/storage/migrations';
import type { PhotoRecord } from '../../../src/storage/records';
import { DB_VERSION, type LibrarySchema } from '../../../src/storage/schema';
import { encodeTokens } from '../../../src/storage/tokenCodec';
import { D, K, MODEL, cleanup, dbName, dump, freshLibrary, makePhoto, randomBits } from './helpers';

afterEach(cleanup);

describe('schema migrations', () => {
  test('the migration list reaches the current version', () => {
    expect(MIGRATIONS.length).toBe(DB_VERSION);
  });

  test('upgrading from the previous schema version keeps every record', async () => {
    const name = dbName();
    const previous = DB_VERSION - 1;
    // A database created by the previous version of the app, with its own upgrade code.
    const old = await openDB<LibrarySchema>(name, previous, {
      upgrade: (db, oldVersion, newVersion, tx) => { void runMigrations(db, tx, oldVersion, newVersion ?? previous); },
    });
    expect([...old.objectStoreNames].sort()).toEqual(['chats', 'embeddings', 'originals', 'photos', 'settings', 'thumbnails', 'tokens']);
    const statuses: PhotoRecord['status'][] = ['indexed', 'pending', 'indexing', 'failed', 'stale', 'indexed'];
    const tx = old.transaction(['photos', 'thumbnails', 'originals', 'tokens', 'embeddings', 'chats', 'settings'], 'readwrite');
    const photos: PhotoRecord[] = [];
    const v1Embeddings: V1EmbeddingRow[] = [];
    for (let i = 0; i < statuses.length; i++) {
      const p = await makePhoto(i);
      const rec: PhotoRecord = { id: p.id, name: p.name, type: p.type, byteSize: p.byteSize, width: p.width, height: p.height, addedAt: 5000 + i, status: statuses[i] };
      if (p.capturedAt) rec.capturedAt = p.capturedAt;
      if (statuses[i] === 'failed') rec.failReason = 'could not decode';
      if (statuses[i] === 'indexed' || statuses[i] === 'stale') {
        rec.modelId = statuses[i] === 'stale' ? 'old-model' : MODEL;
        rec.indexedAt = 9000 + i;
        const tokens = randomBits(K * D, i);
        void tx.objectStore('tokens').put({ photoId: p.id, modelId: rec.modelId, bytes: encodeTokens({ modelId: rec.modelId, K, d: D, data: tokens }).buffer as ArrayBuffer });
        const row: V1EmbeddingRow = { photoId: p.id, modelId: rec.modelId, d: D, vector: meanEmbedding(tokens, K, D) };
        void (tx.objectStore('embeddings') as unknown as { put(v: V1EmbeddingRow): Promise<unknown> }).put(row); // v1 layout
        v1Embeddings.push(row);
      }
      if (statuses[i] !== 'indexed') void tx.objectStore('originals').put({ photoId: p.id, type: p.type, blob: p.original });
      void tx.objectStore('photos').put(rec);
      void tx.objectStore('thumbnails').put({ ...p.thumbnail, photoId: p.id });
      void tx.objectStore('chats').put({ id: `chat-${i}`, photoId: p.id, createdAt: i, updatedAt: i + 1, turns: [{ role: 'user', text: `question ${i}`, at: i + 1 }] });
      photos.push(rec);
    }
    void tx.objectStore('settings').put({ key: 'keepOriginals', value: true });
    void tx.objectStore('settings').put({ key: 'currentModelId', value: MODEL });
    await tx.done;
    const before = await dump(old, ['photos', 'thumbnails', 'originals', 'tokens', 'chats', 'settings']);
    expect(await old.count('embeddings')).toBe(v1Embeddings.length);
    old.close();

    const lib = await freshLibrary({ name }); // runs the upgrade to DB_VERSION
    expect((await lib.connection()).version).toBe(DB_VERSION);
    const after = await dump(lib);
    for (const store of ['thumbnails', 'originals', 'tokens', 'chats', 'settings']) expect(after[store], store).toEqual(before[store]);
    // embeddings: every v1 row is in its v2 shard, bit for bit
    for (const row of v1Embeddings) {
      expect(Array.from((await getEmbedding(lib, row.photoId, row.modelId)) ?? []), row.photoId).toEqual(Array.from(row.vector));
    }
    const m = await loadEmbeddings(lib, MODEL);
    expect(m.photoIds.sort()).toEqual(v1Embeddings.filter((r) => r.modelId === MODEL).map((r) => r.photoId).sort());
    expect((await verifyLibrary(lib)).problems).toEqual([]);
    // photos: every record kept; the one that was 'indexing' under v1 (its in-memory queue died) is pending again
    const expected = (before.photos as PhotoRecord[]).map((p) => (p.status === 'indexing' ? { ...p, status: 'pending' } : p));
    expect(after.photos).toEqual(expected);
    // v2: a job for every photo that was waiting, in the order they were added
    const waiting = photos.filter((p) => p.status === 'pending' || p.status === 'indexing').sort((a, b) => a.addedAt - b.addedAt);
    expect(await listJobs(lib)).toEqual(waiting.map((p) => ({ photoId: p.id, state: 'pending', enqueuedAt: p.addedAt, attempts: 0 })));
    // and the new index answers
    expect((await listPhotos(lib, { status: 'failed' })).photos.map((p) => p.id)).toEqual([photos[3].id]);
  });

  test('a database from a newer app version is reported as outdated, not overwritten', async () => {
    const name = dbName();
    (await openDB(name, DB_VERSION + 1)).close();
    await expect(openLibrary({ name })).rejects.toBeInstanceOf(LibraryOutdatedError);
  });
});
