import { afterEach, describe, expect, test } from 'vitest';
import {
  StorageFullError, addPhotos, claimNextJob, createChat, appendTurns, finishIndexing, getPhoto, isQuotaError, verifyLibrary,
  type StorageEvent,
} from '../../../src/storage';
import { storageTestHooks } from '../../../src/storage/testHooks';
import { cleanup, dump, freshLibrary, indexResult, makePhoto } from './helpers';

afterEach(async () => {
  storageTestHooks.beforeCommit = null;
  await cleanup();
});

/** Makes the next write transactions of `operation` fail at commit time as a full disk does. */
function failWithQuota(operation: string): { calls: number } {
  const seen = { calls: 0 };
  storageTestHooks.beforeCommit = (op) => {
    if (op !== operation) return;
    seen.calls++;
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
  return seen;
}

describe('quota', () => {
  test('a QuotaExceededError while adding becomes StorageFullError + a storage-full event, and loses nothing', async () => {
    const events: StorageEvent[] = [];
    const lib = await freshLibrary({ onEvent: (e) => events.push(e) });
    const existing = [await makePhoto(1), await makePhoto(2)];
    await addPhotos(lib, existing);
    await claimNextJob(lib);
    await finishIndexing(lib, indexResult(existing[0].id, 1));
    const chat = await createChat(lib, existing[0].id);
    await appendTurns(lib, chat.id, [{ role: 'user', text: 'hello', at: 1 }]);
    const before = await dump(lib);
    events.length = 0;

    const hook = failWithQuota('add photos');
    const err = await addPhotos(lib, [await makePhoto(3), await makePhoto(4)]).catch((e: unknown) => e);
    expect(hook.calls).toBe(1);
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).name).toBe('StorageFullError');
    expect((err as Error).message).toMatch(/Storage is full.*Delete some photos, export the library/);
    expect(isQuotaError((err as Error).cause)).toBe(true);
    const full = events.filter((e) => e.type === 'storage-full');
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ type: 'storage-full', error: err });
    expect(events.some((e) => e.type === 'library-changed')).toBe(false); // nothing changed, nothing announced
    storageTestHooks.beforeCommit = null;
    expect(await dump(lib)).toEqual(before);
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });

  test('a QuotaExceededError while saving tokens leaves the photo pending-in-progress and the rest untouched', async () => {
    const lib = await freshLibrary();
    const [a, b] = [await makePhoto(1), await makePhoto(2)];
    await addPhotos(lib, [a, b]);
    await claimNextJob(lib);
    await finishIndexing(lib, indexResult(a.id, 1));
    await claimNextJob(lib);
    const before = await dump(lib);
    failWithQuota('save indexed photo');
    await expect(finishIndexing(lib, indexResult(b.id, 2))).rejects.toBeInstanceOf(StorageFullError);
    storageTestHooks.beforeCommit = null;
    expect(await dump(lib)).toEqual(before);
    expect((await getPhoto(lib, b.id))?.status).toBe('indexing'); // its job is still there and resumes later
    expect(await finishIndexing(lib, indexResult(b.id, 2))).toBe('indexed'); // after space is freed
  });

  test('a quota failure of the request itself (not the commit) is mapped too', async () => {
    const lib = await freshLibrary();
    const p = await makePhoto(1);
    const before = await dump(lib);
    // make the write body throw the DOMException the way a failing put request rejects
    const err = await lib.write('add photos', ['photos'], async (tx) => {
      await tx.store.put({ id: p.id, name: 'x', type: 'image/jpeg', byteSize: 1, width: 1, height: 1, addedAt: 1, status: 'failed', failReason: 'x' });
      throw new DOMException('Quota exceeded', 'QuotaExceededError');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(await dump(lib)).toEqual(before);
  });

  test('usage and quota come from navigator.storage.estimate()', async () => {
    const lib = await freshLibrary();
    const events: StorageEvent[] = [];
    lib.subscribe((e) => events.push(e));
    const est = await lib.refreshQuota();
    expect(typeof est.usage).toBe('number');
    expect(est.quota).toBeGreaterThan(0);
    expect(typeof est.persisted).toBe('boolean');
    expect(events).toContainEqual({ type: 'quota', estimate: est });
  });
});
