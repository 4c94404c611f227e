import { afterEach, describe, expect, test } from 'vitest';
import {
  addPhotos, claimNextJob, failIndexing, finishIndexing, getPhoto, getTokens, listJobs, loadEmbeddings, openLibrary,
  recoverJobs, reindexStale, renewLease, retryPhoto, setCurrentModel, updateSettings, verifyLibrary, LEASE_MS,
  MAX_JOB_ATTEMPTS, OriginalMissingError, deletePhoto, countByStatus,
} from '../../../src/storage';
import { storageTestHooks } from '../../../src/storage/testHooks';
import { MODEL, cleanup, dbName, dump, freshLibrary, indexResult, makePhoto } from './helpers';

afterEach(async () => {
  storageTestHooks.beforeCommit = null;
  await cleanup();
});

describe('atomic indexing', () => {
  test('an aborted finishIndexing leaves no partial photo: no tokens, no embedding, status unchanged', async () => {
    const lib = await freshLibrary();
    const p = await makePhoto(1);
    await addPhotos(lib, [p]);
    const claimed = await claimNextJob(lib);
    expect(claimed?.photo).toMatchObject({ id: p.id, status: 'indexing' });
    const before = await dump(lib);
    let ranPuts = false;
    storageTestHooks.beforeCommit = (op) => {
      if (op !== 'save indexed photo') return;
      ranPuts = true; // every put of the transaction has run at this point
      throw new Error('simulated crash between the writes and the commit');
    };
    await expect(finishIndexing(lib, indexResult(p.id, 1))).rejects.toThrow(/simulated crash/);
    expect(ranPuts).toBe(true);
    storageTestHooks.beforeCommit = null;
    expect(await dump(lib)).toEqual(before); // every store exactly as before
    expect(await getTokens(lib, p.id, MODEL)).toBeUndefined();
    expect((await loadEmbeddings(lib, MODEL)).photoIds).toEqual([]);
    expect((await getPhoto(lib, p.id))?.status).toBe('indexing'); // still visibly in progress, job still leased
    expect((await verifyLibrary(lib)).problems).toEqual([]);
    // and the same call succeeds once nothing interferes
    expect(await finishIndexing(lib, indexResult(p.id, 1))).toBe('indexed');
    expect(await listJobs(lib)).toEqual([]);
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });

  test('an aborted addPhotos batch adds none of its photos', async () => {
    const lib = await freshLibrary();
    const keep = await makePhoto(1);
    await addPhotos(lib, [keep]);
    const before = await dump(lib);
    storageTestHooks.beforeCommit = () => { throw new Error('boom'); };
    await expect(addPhotos(lib, [await makePhoto(2), await makePhoto(3)])).rejects.toThrow('boom');
    storageTestHooks.beforeCommit = null;
    expect(await dump(lib)).toEqual(before);
  });

  test('failIndexing records a reason; retry needs the original', async () => {
    const lib = await freshLibrary();
    const p = await makePhoto(1);
    await addPhotos(lib, [p]);
    await claimNextJob(lib);
    await failIndexing(lib, p.id, 'The image could not be decoded.');
    expect(await getPhoto(lib, p.id)).toMatchObject({ status: 'failed', failReason: 'The image could not be decoded.' });
    expect(await listJobs(lib)).toEqual([]);
    await retryPhoto(lib, p.id);
    expect(await getPhoto(lib, p.id)).toMatchObject({ status: 'pending' });
    expect((await getPhoto(lib, p.id))?.failReason).toBeUndefined();
    expect((await listJobs(lib)).map((j) => j.photoId)).toEqual([p.id]);
    // indexed without keepOriginals: the original is gone, so a retry cannot work
    await finishIndexing(lib, indexResult(p.id, 1));
    await setCurrentModel(lib, 'model-b');
    await expect(retryPhoto(lib, p.id)).rejects.toBeInstanceOf(OriginalMissingError);
  });

  test('finishIndexing after the photo was deleted writes nothing', async () => {
    const lib = await freshLibrary();
    const p = await makePhoto(1);
    await addPhotos(lib, [p]);
    await claimNextJob(lib);
    await deletePhoto(lib, p.id);
    expect(await finishIndexing(lib, indexResult(p.id, 1))).toBe('photo-deleted');
    expect((await verifyLibrary(lib)).counts).toMatchObject({ photos: 0, tokens: 0, embeddings: 0, jobs: 0 });
  });
});

describe('resuming after a reload or a crash', () => {
  test('a job left running by a closed tab is pending again when the library opens', async () => {
    const name = dbName();
    const tabA = await openLibrary({ name });
    const p = await makePhoto(1);
    await addPhotos(tabA, [p]);
    expect((await claimNextJob(tabA))?.job).toMatchObject({ state: 'running', owner: tabA.tabId, attempts: 1 });
    tabA.close(); // the tab goes away mid-indexing: its Web Lock is released, as when a tab crashes
    const tabB = await freshLibrary({ name }); // "reload"
    expect(await getPhoto(tabB, p.id)).toMatchObject({ status: 'pending' });
    const jobs = await listJobs(tabB);
    expect(jobs).toEqual([expect.objectContaining({ photoId: p.id, state: 'pending', attempts: 1 })]);
    expect(jobs[0].owner).toBeUndefined();
    const again = await claimNextJob(tabB);
    expect(again?.job).toMatchObject({ owner: tabB.tabId, attempts: 2 });
    expect(await finishIndexing(tabB, indexResult(p.id, 1))).toBe('indexed');
  });

  test('two live tabs never get the same job; a lease that runs out can be taken over', async () => {
    const name = dbName();
    const a = await freshLibrary({ name });
    const b = await freshLibrary({ name });
    const ps = await Promise.all([1, 2, 3].map((i) => makePhoto(i)));
    for (let i = 0; i < ps.length; i++) await addPhotos(a, [ps[i]], 1000 + i);
    const now = Date.now();
    const claims = await Promise.all([claimNextJob(a, now), claimNextJob(b, now), claimNextJob(a, now), claimNextJob(b, now)]);
    const got = claims.filter((c) => c !== null).map((c) => c!.photo.id);
    expect(got.sort()).toEqual(ps.map((p) => p.id).sort()); // each job exactly once
    expect(claims.filter((c) => c === null)).toHaveLength(1);
    expect(await recoverJobs(b, now)).toBe(0); // owners alive, leases fresh: nothing to recover
    // A's lease on its job expires (A alive but stuck): B may take it; renewLease tells A it lost it
    const aJob = claims.find((c) => c?.job.owner === a.tabId)!;
    const later = now + LEASE_MS + 1;
    const taken = await claimNextJob(b, later);
    expect(taken?.job).toMatchObject({ owner: b.tabId });
    expect(await renewLease(a, taken!.job.photoId)).toBe(taken!.job.photoId === aJob.job.photoId ? false : true);
    expect(await renewLease(b, taken!.job.photoId)).toBe(true);
  });

  test('a photo whose indexing is cut short MAX_JOB_ATTEMPTS times is marked failed with a reason', async () => {
    const name = dbName();
    const p = await makePhoto(1);
    let tab = await openLibrary({ name });
    await addPhotos(tab, [p]);
    for (let i = 0; i < MAX_JOB_ATTEMPTS; i++) {
      expect(await claimNextJob(tab)).not.toBeNull();
      tab.close(); // crash while indexing
      tab = await openLibrary({ name });
    }
    expect(await claimNextJob(tab)).toBeNull();
    expect(await getPhoto(tab, p.id)).toMatchObject({ status: 'failed', failReason: expect.stringMatching(/stopped 3 times/) });
    tab.close();
  });
});

describe('model change', () => {
  test('tokens of another model become stale; re-index queues those with originals; switching back restores', async () => {
    const lib = await freshLibrary();
    const [a, b] = [await makePhoto(1), await makePhoto(2)];
    await addPhotos(lib, [a, b]);
    await setCurrentModel(lib, MODEL);
    await finishIndexing(lib, indexResult(b.id, 2)); // keepOriginals is off: b's original is dropped
    await updateSettings(lib, { keepOriginals: true });
    await finishIndexing(lib, indexResult(a.id, 1)); // a's is kept
    expect(await setCurrentModel(lib, 'model-b')).toEqual({ stale: expect.arrayContaining([a.id, b.id]), restored: [] });
    expect(await countByStatus(lib)).toMatchObject({ stale: 2, indexed: 0 });
    expect((await loadEmbeddings(lib, 'model-b')).photoIds).toEqual([]);
    expect((await verifyLibrary(lib)).problems).toEqual([]);
    // back to the first model: both are usable again
    expect((await setCurrentModel(lib, MODEL)).restored.sort()).toEqual([a.id, b.id].sort());
    await setCurrentModel(lib, 'model-b');
    const r = await reindexStale(lib);
    expect(r).toEqual({ queued: [a.id], needOriginal: [b.id] });
    // adding b's file again requeues it
    expect(await addPhotos(lib, [b])).toEqual([{ id: b.id, outcome: 'requeued' }]);
    expect((await listJobs(lib)).map((j) => j.photoId).sort()).toEqual([a.id, b.id].sort());
    await claimNextJob(lib);
    await claimNextJob(lib);
    expect(await finishIndexing(lib, indexResult(a.id, 3, 'model-b'))).toBe('indexed');
    expect(await getTokens(lib, a.id, MODEL)).toBeUndefined(); // old model's tokens replaced
    // a result computed for the old model after the switch is stored as stale, not as indexed
    expect(await finishIndexing(lib, indexResult(b.id, 4, MODEL))).toBe('stale');
    expect((await loadEmbeddings(lib, 'model-b')).photoIds).toEqual([a.id]);
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });
});
