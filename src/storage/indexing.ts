// The indexing queue and the model-change ("stale") bookkeeping.
//
// Life of a job: addPhotos queues it ('pending') -> claimNextJob leases it to this tab ('running', photo
// 'indexing') -> the engine computes the tokens, renewing the lease -> finishIndexing writes thumbnail-checked
// tokens + embedding + status and removes the job in ONE transaction, or failIndexing records the reason.
// A job whose owner tab closed or crashed (its Web Lock is gone) or whose lease ran out is claimable again;
// recoverJobs (run by openLibrary) puts such jobs back to 'pending' at once.

import { OriginalMissingError, PhotoNotFoundError } from './errors';
import { meanEmbedding } from './embedding';
import { putEmbedding, removeEmbedding } from './embeddingShards';
import type { Library } from './library';
import type { JobRecord, PhotoRecord, SettingRecord } from './records';
import { photoKeyRange } from './schema';
import { liveTabIds } from './tabs';
import { encodeTokens } from './tokenCodec';

/** How long a claimed job stays with its tab without a renewLease. */
export const LEASE_MS = 60_000;
/** A photo whose indexing was cut short (tab crash, close) this many times is marked failed instead. */
export const MAX_JOB_ATTEMPTS = 3;

export interface ClaimedJob {
  job: JobRecord;
  photo: PhotoRecord; // status 'indexing'; its original is in the originals store (getOriginal)
}

function abandoned(job: JobRecord, now: number, live: Set<string> | null): boolean {
  if (job.state !== 'running') return false;
  if ((job.leaseUntil ?? 0) < now) return true;
  return live !== null && (job.owner === undefined || !live.has(job.owner));
}

/**
 * Takes the oldest claimable job for this tab (FIFO): a pending job, or a running one whose owner is gone or
 * whose lease ran out. Two tabs never get the same job: the claim is a read-modify-write in one transaction.
 * Returns null when the queue has nothing to do.
 */
export async function claimNextJob(lib: Library, now = Date.now()): Promise<ClaimedJob | null> {
  const live = await liveTabIds(); // before the transaction: nothing else is awaited inside it
  const failed: string[] = [];
  const claimed = await lib.write('claim indexing job', ['jobs', 'photos'], async (tx) => {
    const jobs = tx.objectStore('jobs');
    const photos = tx.objectStore('photos');
    for (let c = await jobs.index('by-queue').openCursor(); c; c = await c.continue()) {
      const job = c.value;
      if (job.state === 'running' && !abandoned(job, now, live)) continue;
      const photo = await photos.get(job.photoId);
      if (!photo) {
        await jobs.delete(job.photoId);
        continue;
      }
      if (job.attempts >= MAX_JOB_ATTEMPTS) {
        await jobs.delete(job.photoId);
        await photos.put({
          ...photo, status: 'failed',
          failReason: `Indexing stopped ${job.attempts} times before finishing ` +
            `${job.lastError ? `(the last time: ${job.lastError.replace(/\.$/, '')})` : '(the tab was closed or crashed)'}. ` +
            'Retry, or remove the photo if it keeps failing.',
        });
        failed.push(photo.id);
        continue;
      }
      const next: JobRecord = { ...job, state: 'running', owner: lib.tabId, leaseUntil: now + LEASE_MS, attempts: job.attempts + 1 };
      const indexing: PhotoRecord = { ...photo, status: 'indexing' };
      await jobs.put(next);
      await photos.put(indexing);
      return { job: next, photo: indexing };
    }
    return null;
  }, (r) => {
    const ids = r ? [...failed, r.photo.id] : failed;
    return ids.length ? { kind: 'photos-updated', photoIds: ids } : null;
  });
  return claimed;
}

/** Extends this tab's lease on the job (call every LEASE_MS / 3 while indexing). False if the job is no longer ours. */
export async function renewLease(lib: Library, photoId: string, now = Date.now()): Promise<boolean> {
  return lib.write('renew indexing lease', ['jobs'], async (tx) => {
    const job = await tx.store.get(photoId);
    if (!job || job.state !== 'running' || job.owner !== lib.tabId) return false;
    await tx.store.put({ ...job, leaseUntil: now + LEASE_MS });
    return true;
  });
}

/** What the engine computed for one photo. */
export interface IndexResult {
  photoId: string;
  modelId: string;
  K: number;
  d: number;
  tokens: Uint16Array; // (K, d) fp16 bits, row-major
  embedding?: Uint16Array; // (d,) fp16 bits, L2-normalised mean of the tokens; computed here when absent
}

export type FinishOutcome = 'indexed' | 'stale' | 'photo-deleted' | 'no-thumbnail';

/**
 * Stores the result in ONE transaction over photos, thumbnails, tokens, embeddings, jobs, originals and
 * settings: tokens and embedding for `modelId` (replacing those of other models), status 'indexed' (or 'stale'
 * if the current model changed meanwhile), the job removed, and the original dropped unless keepOriginals.
 * Everything or nothing is written. 'photo-deleted': the photo was deleted meanwhile, nothing is written.
 */
export async function finishIndexing(lib: Library, r: IndexResult, now = Date.now()): Promise<FinishOutcome> {
  // All computing happens before the transaction.
  const tokenBytes = encodeTokens({ modelId: r.modelId, K: r.K, d: r.d, data: r.tokens });
  const vector = r.embedding ?? meanEmbedding(r.tokens, r.K, r.d);
  if (vector.length !== r.d) throw new RangeError(`finishIndexing: embedding has ${vector.length} values, d=${r.d}`);
  const stores = ['photos', 'thumbnails', 'tokens', 'embeddings', 'jobs', 'originals', 'settings'] as const;
  return lib.write('save indexed photo', stores, async (tx) => {
    const photo = await tx.objectStore('photos').get(r.photoId);
    if (!photo) {
      await tx.objectStore('jobs').delete(r.photoId);
      return 'photo-deleted' as const;
    }
    if ((await tx.objectStore('thumbnails').getKey(r.photoId)) === undefined) {
      await tx.objectStore('photos').put({ ...photo, status: 'failed', failReason: 'The photo has no thumbnail. Remove it and add the file again.' });
      await tx.objectStore('jobs').delete(r.photoId);
      return 'no-thumbnail' as const;
    }
    const settings = tx.objectStore('settings');
    const keep = (await settings.get('keepOriginals')) as SettingRecord<'keepOriginals'> | undefined;
    const current = (await settings.get('currentModelId')) as SettingRecord<'currentModelId'> | undefined;
    const range = photoKeyRange(r.photoId);
    const embeddings = tx.objectStore('embeddings');
    for (const [, model] of await tx.objectStore('tokens').getAllKeys(range)) {
      if (model !== r.modelId) await removeEmbedding(embeddings, r.photoId, model); // tokens of other models go
    }
    await tx.objectStore('tokens').delete(range);
    await tx.objectStore('tokens').put({ photoId: r.photoId, modelId: r.modelId, bytes: tokenBytes.buffer as ArrayBuffer });
    await putEmbedding(embeddings, r.photoId, r.modelId, vector);
    const status = current?.value && current.value !== r.modelId ? 'stale' as const : 'indexed' as const;
    const next: PhotoRecord = { ...photo, status, modelId: r.modelId, indexedAt: now };
    delete next.failReason;
    await tx.objectStore('photos').put(next);
    await tx.objectStore('jobs').delete(r.photoId);
    if (!keep?.value) await tx.objectStore('originals').delete(r.photoId);
    return status;
  }, (outcome) => ({ kind: outcome === 'photo-deleted' ? 'photos-deleted' : 'photos-updated', photoIds: [r.photoId] }));
}

/**
 * Gives this tab's job back to the queue ('pending', photo 'pending') because the engine, not the photo, failed
 * (the GPU device was lost, the model is gone): the next claim tries again, and after MAX_JOB_ATTEMPTS claims
 * the photo is marked failed with `reason`. False if the job is not this tab's any more.
 */
export async function releaseJob(lib: Library, photoId: string, reason: string): Promise<boolean> {
  return lib.write('release indexing job', ['jobs', 'photos'], async (tx) => {
    const jobs = tx.objectStore('jobs');
    const job = await jobs.get(photoId);
    if (!job || job.state !== 'running' || job.owner !== lib.tabId) return false;
    const back: JobRecord = { ...job, state: 'pending', lastError: reason };
    delete back.owner;
    delete back.leaseUntil;
    await jobs.put(back);
    const photo = await tx.objectStore('photos').get(photoId);
    if (photo?.status === 'indexing') await tx.objectStore('photos').put({ ...photo, status: 'pending' });
    return true;
  }, (ok) => (ok ? { kind: 'photos-updated', photoIds: [photoId] } : null));
}

/** Marks the photo failed with `reason` (shown to the user) and removes its job. False if the photo is gone. */
export async function failIndexing(lib: Library, photoId: string, reason: string): Promise<boolean> {
  return lib.write('record indexing failure', ['photos', 'jobs'], async (tx) => {
    await tx.objectStore('jobs').delete(photoId);
    const photo = await tx.objectStore('photos').get(photoId);
    if (!photo) return false;
    await tx.objectStore('photos').put({ ...photo, status: 'failed', failReason: reason });
    return true;
  }, (ok) => (ok ? { kind: 'photos-updated', photoIds: [photoId] } : null));
}

/**
 * Puts abandoned jobs (owner tab gone, or lease expired) back to 'pending', and repairs photos whose status
 * says 'pending'/'indexing' without a job. Returns how many photos went back to the queue.
 */
export async function recoverJobs(lib: Library, now = Date.now()): Promise<number> {
  const live = await liveTabIds();
  const ids = await lib.write('recover indexing jobs', ['jobs', 'photos', 'originals'], async (tx) => {
    const jobs = tx.objectStore('jobs');
    const photos = tx.objectStore('photos');
    const recovered: string[] = [];
    for (let c = await jobs.openCursor(); c; c = await c.continue()) {
      const job = c.value;
      if (!abandoned(job, now, live)) continue;
      const back: JobRecord = { ...job, state: 'pending' };
      delete back.owner;
      delete back.leaseUntil;
      await c.update(back);
      const photo = await photos.get(job.photoId);
      if (photo?.status === 'indexing') await photos.put({ ...photo, status: 'pending' });
      recovered.push(job.photoId);
    }
    // Photos marked pending/indexing with no job (only a bug could leave them): queue them again.
    for (const status of ['pending', 'indexing'] as const) {
      const keys = await photos.index('by-status').getAllKeys(IDBKeyRange.bound([status], [status, []]));
      for (const id of keys) {
        const job = await jobs.get(id);
        if (job && !(status === 'indexing' && job.state === 'pending')) continue;
        const photo = await photos.get(id);
        if (!photo) continue;
        if ((await tx.objectStore('originals').getKey(id)) === undefined) {
          await photos.put({ ...photo, status: 'failed', failReason: 'Indexing was interrupted and the original is gone. Add the photo again.' });
          await jobs.delete(id);
        } else {
          await photos.put({ ...photo, status: 'pending' });
          if (!job) await jobs.put({ photoId: id, state: 'pending', enqueuedAt: now, attempts: 0 });
        }
        if (!recovered.includes(id)) recovered.push(id);
      }
    }
    return recovered;
  }, (ids) => (ids.length ? { kind: 'photos-updated', photoIds: ids } : null));
  return ids.length;
}

/** Queues a failed (or stale) photo again. Throws PhotoNotFoundError, or OriginalMissingError when the file was not kept. */
export async function retryPhoto(lib: Library, photoId: string, now = Date.now()): Promise<void> {
  await lib.write('retry indexing', ['photos', 'originals', 'jobs'], async (tx) => {
    const photo = await tx.objectStore('photos').get(photoId);
    if (!photo) throw new PhotoNotFoundError(photoId);
    if (photo.status === 'pending' || photo.status === 'indexing') return;
    if ((await tx.objectStore('originals').getKey(photoId)) === undefined) throw new OriginalMissingError(photoId);
    const next: PhotoRecord = { ...photo, status: 'pending' };
    delete next.failReason;
    await tx.objectStore('photos').put(next);
    await tx.objectStore('jobs').put({ photoId, state: 'pending', enqueuedAt: now, attempts: 0 });
  }, () => ({ kind: 'photos-updated', photoIds: [photoId] }));
}

/**
 * Records which model the engine uses. Indexed photos whose tokens belong to another model become 'stale';
 * stale photos whose tokens belong to this model become 'indexed' again. One transaction.
 */
export async function setCurrentModel(lib: Library, modelId: string): Promise<{ stale: string[]; restored: string[] }> {
  return lib.write('set current model', ['photos', 'settings'], async (tx) => {
    await tx.objectStore('settings').put({ key: 'currentModelId', value: modelId });
    const photos = tx.objectStore('photos');
    const stale: string[] = [];
    const restored: string[] = [];
    for (const status of ['indexed', 'stale'] as const) {
      const list = await photos.index('by-status').getAll(IDBKeyRange.bound([status], [status, []]));
      for (const p of list) {
        const matches = p.modelId === modelId;
        if (status === 'indexed' && !matches) {
          await photos.put({ ...p, status: 'stale' });
          stale.push(p.id);
        } else if (status === 'stale' && matches) {
          await photos.put({ ...p, status: 'indexed' });
          restored.push(p.id);
        }
      }
    }
    return { stale, restored };
  }, (r) => ({ kind: 'photos-updated', photoIds: [...r.stale, ...r.restored] }));
}

/**
 * Queues every stale photo whose original is stored. The others are listed in `needOriginal`: the UI asks the
 * user to add those files again (addPhotos then requeues them).
 */
export async function reindexStale(lib: Library, now = Date.now()): Promise<{ queued: string[]; needOriginal: string[] }> {
  return lib.write('re-index stale photos', ['photos', 'originals', 'jobs'], async (tx) => {
    const photos = tx.objectStore('photos');
    const queued: string[] = [];
    const needOriginal: string[] = [];
    const list = await photos.index('by-status').getAll(IDBKeyRange.bound(['stale'], ['stale', []]));
    for (const p of list) {
      if ((await tx.objectStore('originals').getKey(p.id)) === undefined) {
        needOriginal.push(p.id);
        continue;
      }
      await photos.put({ ...p, status: 'pending' });
      await tx.objectStore('jobs').put({ photoId: p.id, state: 'pending', enqueuedAt: now, attempts: 0 });
      queued.push(p.id);
    }
    return { queued, needOriginal };
  }, (r) => (r.queued.length ? { kind: 'photos-updated', photoIds: r.queued } : null));
}

/** Jobs in queue order (for a progress view). */
export async function listJobs(lib: Library): Promise<JobRecord[]> {
  return (await lib.connection()).getAllFromIndex('jobs', 'by-queue');
}
