import { deleteDB, openDB } from 'idb';
import { afterEach, describe, expect, test } from 'vitest';
import {
  LibraryOutdatedError, addPhotos, appendTurns, countPhotos, createChat, getChat, openLibrary, type StorageEvent,
} from '../../../src/storage';
import { DB_VERSION } from '../../../src/storage/schema';
import { runMigrations } from '../../../src/storage/migrations';
import { cleanup, dbName, freshLibrary, makePhoto } from './helpers';

afterEach(cleanup);

const until = async (cond: () => boolean, ms = 5000) => {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('several tabs', () => {
  test('a newer version in another tab: this tab closes its connection (no block) and says "reload"', async () => {
    const name = dbName();
    const events: StorageEvent[] = [];
    const lib = await freshLibrary({ name, onEvent: (e) => events.push(e) });
    await addPhotos(lib, [await makePhoto(1)]);
    let blocked = false;
    const newer = await openDB(name, DB_VERSION + 1, { blocked: () => { blocked = true; } });
    expect(blocked).toBe(false);
    expect(newer.version).toBe(DB_VERSION + 1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'connection', state: 'outdated', message: expect.stringMatching(/Reload/) }));
    expect(lib.connectionState).toBe('outdated');
    await expect(countPhotos(lib)).rejects.toBeInstanceOf(LibraryOutdatedError);
    newer.close();
  });

  test('an older tab that does not let go: opening reports "blocked", then proceeds once it closes', async () => {
    const name = dbName();
    const old = await openDB(name, DB_VERSION - 1, { upgrade: (db, o, n, tx) => { void runMigrations(db as never, tx as never, o, n!); } });
    const events: StorageEvent[] = [];
    const opening = openLibrary({ name, onEvent: (e) => events.push(e) });
    await until(() => events.some((e) => e.type === 'connection' && e.state === 'blocked'));
    expect(events.find((e) => e.type === 'connection')).toMatchObject({ state: 'blocked', message: expect.stringMatching(/Close or reload the other tabs/) });
    old.close();
    const lib = await opening;
    expect(lib.connectionState).toBe('open');
    expect(await countPhotos(lib)).toBe(0);
    lib.close();
  });

  test('the library deleted from another tab: this tab lets go and recreates it on the next call', async () => {
    const name = dbName();
    const events: StorageEvent[] = [];
    const lib = await freshLibrary({ name, onEvent: (e) => events.push(e) });
    await addPhotos(lib, [await makePhoto(1)]);
    await deleteDB(name); // would hang if the connection were not closed on versionchange
    expect(events).toContainEqual(expect.objectContaining({ type: 'connection', state: 'terminated' }));
    expect(await countPhotos(lib)).toBe(0);
    expect(lib.connectionState).toBe('open');
  });

  test('changes reach the other tabs over BroadcastChannel', async () => {
    const name = dbName();
    const a = await freshLibrary({ name });
    const b = await freshLibrary({ name });
    const seenA: StorageEvent[] = [];
    const seenB: StorageEvent[] = [];
    a.subscribe((e) => seenA.push(e));
    b.subscribe((e) => seenB.push(e));
    const p = await makePhoto(1);
    await addPhotos(a, [p]);
    await until(() => seenB.some((e) => e.type === 'library-changed'));
    expect(seenB.filter((e) => e.type === 'library-changed')).toEqual([
      { type: 'library-changed', change: { kind: 'photos-added', photoIds: [p.id] }, remote: true },
    ]);
    expect(seenA.filter((e) => e.type === 'library-changed')).toEqual([
      { type: 'library-changed', change: { kind: 'photos-added', photoIds: [p.id] }, remote: false },
    ]);
    expect(await countPhotos(b)).toBe(1);
  });

  test('two tabs appending to the same chat at once keep every turn', async () => {
    const name = dbName();
    const a = await freshLibrary({ name });
    const b = await freshLibrary({ name });
    const p = await makePhoto(1);
    await addPhotos(a, [p]);
    const chat = await createChat(a, p.id);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 25; i++) {
      writes.push(appendTurns(a, chat.id, [{ role: 'user', text: `a${i}`, at: i }]));
      writes.push(appendTurns(b, chat.id, [{ role: 'user', text: `b${i}`, at: i }]));
    }
    await Promise.all(writes);
    const turns = (await getChat(b, chat.id))!.turns.map((t) => t.text);
    expect(turns).toHaveLength(50);
    expect(new Set(turns).size).toBe(50);
    expect(turns.filter((t) => t.startsWith('a'))).toEqual(Array.from({ length: 25 }, (_, i) => `a${i}`)); // each tab's order kept
  });

  test('two tabs adding the same file at once store it once', async () => {
    const name = dbName();
    const a = await freshLibrary({ name });
    const b = await freshLibrary({ name });
    const p = await makePhoto(1);
    const [ra, rb] = await Promise.all([addPhotos(a, [p]), addPhotos(b, [p])]);
    expect([ra[0].outcome, rb[0].outcome].sort()).toEqual(['added', 'duplicate']);
    expect(await countPhotos(a)).toBe(1);
  });
});
