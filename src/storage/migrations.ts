// Schema migrations, in order: MIGRATIONS[v] upgrades a database at version v to version v + 1.
// Never edit a step that has shipped; add a new one and bump DB_VERSION in schema.ts.
// Steps run inside IndexedDB's upgrade transaction and await nothing but its requests.
//
//   v0 -> v1  first schema: photos, thumbnails, originals, tokens, embeddings, chats, settings
//   v1 -> v2  persisted indexing queue: the `jobs` store and photos.by-status; photos that were 'pending' or
//             'indexing' under v1 (whose queue lived in memory and died with the tab) get a job and become 'pending'

import type { IDBPDatabase, IDBPTransaction } from 'idb';
import type { LibrarySchema, StoreName } from './schema';

export type UpgradeDb = IDBPDatabase<LibrarySchema>;
export type UpgradeTx = IDBPTransaction<LibrarySchema, StoreName[], 'versionchange'>;
export type Migration = (db: UpgradeDb, tx: UpgradeTx) => Promise<void> | void;

const toV1: Migration = (db) => {
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
};

export const MIGRATIONS: readonly Migration[] = [toV1, toV2];

/** Runs the steps from `oldVersion` up to `newVersion`, one after another, in the upgrade transaction. */
export async function runMigrations(db: UpgradeDb, tx: UpgradeTx, oldVersion: number, newVersion: number): Promise<void> {
  if (newVersion > MIGRATIONS.length) throw new RangeError(`no migration to version ${newVersion} (latest is ${MIGRATIONS.length})`);
  for (let v = oldVersion; v < newVersion; v++) await MIGRATIONS[v](db, tx);
}
