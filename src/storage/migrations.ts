// Schema migrations, in order: MIGRATIONS[v] upgrades a database at version v to version v + 1.
// Never edit a step that has shipped; add a new one and bump DB_VERSION in schema.ts.
// Steps run inside IndexedDB's upgrade transaction and await nothing but its requests.
//
//   v0 -> v1  first schema: photos, thumbnails, originals, tokens, embeddings (one row per photo and model,
//             key [photoId, modelId], index by-model), chats, settings
//   v1 -> v2  - persisted indexing queue: the `jobs` store and photos.by-status; photos that were 'pending' or
//               'indexing' under v1 (whose queue lived in memory and died with the tab) get a job and become
//               'pending'
//             - embeddings packed into shards (EmbeddingShard, key [modelId, shard]): loading 100k one-row-per-
//               photo embeddings took seconds in Chromium; every v1 row moves into its shard, bit for bit

import type { IDBPDatabase, IDBPTransaction } from 'idb';
import type { EmbeddingShard } from './records';
import type { LibrarySchema, StoreName } from './schema';

export type UpgradeDb = IDBPDatabase<LibrarySchema>;
export type UpgradeTx = IDBPTransaction<LibrarySchema, StoreName[], 'versionchange'>;
export type Migration = (db: UpgradeDb, tx: UpgradeTx) => Promise<void> | void;

/** A v1 embeddings row (the store that v2 replaces). */
export interface V1EmbeddingRow {
  photoId: string;
  modelId: string;
  d: number;
  vector: Uint16Array; // (d,) fp16 bits
}

const toV1: Migration = (typedDb) => {
  const db = typedDb as unknown as IDBPDatabase; // old steps use the untyped handle: the current schema type has moved on
  const photos = db.createObjectStore('photos', { keyPath: 'id' });
  photos.createIndex('by-added', ['addedAt', 'id']);
  photos.createIndex('by-captured', ['capturedAt', 'id']);
  db.createObjectStore('thumbnails', { keyPath: 'photoId' });
  db.createObjectStore('originals', { keyPath: 'photoId' });
  const tokens = db.createObjectStore('tokens', { keyPath: ['photoId', 'modelId'] });
  tokens.createIndex('by-model', 'modelId');
  const embeddings = db.createObjectStore('embeddings', { keyPath: ['photoId', 'modelId'] });
  embeddings.createIndex('by-model', 'modelId');
  const chats = db.createObjectStore('chats', { keyPath: 'id' });
  chats.createIndex('by-photo', ['photoId', 'createdAt']);
  db.createObjectStore('settings', { keyPath: 'key' });
};

const toV2: Migration = async (db, tx) => {
  const jobs = db.createObjectStore('jobs', { keyPath: 'photoId' });
  jobs.createIndex('by-queue', ['enqueuedAt', 'photoId']);
  const photos = tx.objectStore('photos');
  photos.createIndex('by-status', ['status', 'addedAt', 'id']);
  for (let cursor = await photos.openCursor(); cursor; cursor = await cursor.continue()) {
    const p = cursor.value;
    if (p.status !== 'pending' && p.status !== 'indexing') continue;
    if (p.status === 'indexing') await cursor.update({ ...p, status: 'pending' });
    await tx.objectStore('jobs').put({ photoId: p.id, state: 'pending', enqueuedAt: p.addedAt, attempts: 0 });
  }

  // Rows are read in key order [photoId, modelId], so each shard's photo ids come out sorted.
  const rows = (await (tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>).objectStore('embeddings').getAll()) as V1EmbeddingRow[];
  db.deleteObjectStore('embeddings');
  db.createObjectStore('embeddings', { keyPath: ['modelId', 'shard'] });
  const shards = new Map<string, { modelId: string; shard: string; d: number; photoIds: string[]; rows: Uint16Array[] }>();
  for (const r of rows) {
    const shard = r.photoId.slice(0, 2);
    const key = `${r.modelId}\u0000${shard}`;
    let s = shards.get(key);
    if (!s) shards.set(key, (s = { modelId: r.modelId, shard, d: r.d, photoIds: [], rows: [] }));
    if (r.vector.length !== s.d) throw new Error(`v1 embedding of ${r.photoId} has d=${r.vector.length}, others of ${r.modelId} have d=${s.d}`);
    s.photoIds.push(r.photoId);
    s.rows.push(r.vector);
  }
  for (const s of shards.values()) {
    const vectors = new Uint16Array(s.rows.length * s.d); // (n, d)
    s.rows.forEach((v, i) => vectors.set(v, i * s.d));
    const shard: EmbeddingShard = { modelId: s.modelId, shard: s.shard, d: s.d, photoIds: s.photoIds, vectors };
    await tx.objectStore('embeddings').put(shard);
  }
};

export const MIGRATIONS: readonly Migration[] = [toV1, toV2];

/** Runs the steps from `oldVersion` up to `newVersion`, one after another, in the upgrade transaction. */
export async function runMigrations(db: UpgradeDb, tx: UpgradeTx, oldVersion: number, newVersion: number): Promise<void> {
  if (newVersion > MIGRATIONS.length) throw new RangeError(`no migration to version ${newVersion} (latest is ${MIGRATIONS.length})`);
  for (let v = oldVersion; v < newVersion; v++) await MIGRATIONS[v](db, tx);
}
