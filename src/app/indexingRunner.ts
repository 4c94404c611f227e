// The indexing queue runner: a small loop outside React that the store shows and the UI drives.
//
//   claimNextJob -> getOriginal -> engine.compress (lease renewed every renewEveryMs) -> finishIndexing
//                                                   \-> failIndexing(reason) when the engine refuses the photo
//                                                   \-> releaseJob when the engine itself is down (GPU lost, no model)
//
// The queue itself lives in IndexedDB (src/storage/indexing.ts), so it survives a reload: the next page
// load's openLibrary puts this tab's abandoned job back in the queue and the runner picks it up again.
// pause: the photo being indexed finishes, then the loop waits (remembered across reloads).
// cancel: the photo being indexed is aborted, and every queued photo is marked failed "cancelled" (a Retry
// queues it again; its original is kept until it is indexed).
// Storage full: the loop stops with mode 'stopped-storage-full'; resume() tries again.

import { queueActions, queueStore } from '../state/queue';
import { claimNextJob, failIndexing, finishIndexing, getOriginal, LEASE_MS, listJobs, releaseJob, renewLease, type ClaimedJob } from '../storage';
import type { Library } from '../storage/library';
import type { AppEngine, ModelInfo } from './enginePort';
import { isStorageFull, reasonOf, reportError } from './report';

export const CANCELLED_REASON = 'Indexing was cancelled. Use Retry to index this photo.';
export const NO_ORIGINAL_REASON = 'The original file is no longer stored, so it cannot be indexed. Add the photo again.';

/**
 * Errors of the engine, not of the photo: the GPU device was lost (and the retry on the rebuilt engine failed
 * too, or the model could not start again), the model is gone, the worker died. The photo goes back to the
 * queue instead of being marked failed, so a broken engine never fails a whole queue.
 */
const ENGINE_DOWN = new Set(['DeviceLostError', 'ModelNotLoadedError', 'WorkerCrashedError']);
/** Pause after an engine failure before the next claim (the model store may be about to say it is gone). */
const ENGINE_DOWN_PAUSE_MS = 500;

/** Where "paused" is remembered across reloads. */
export interface PauseMemory {
  get(): boolean;
  set(paused: boolean): void;
}

const PAUSE_KEY = 'fwd2bot:indexing-paused';

export const localPauseMemory: PauseMemory = {
  get: () => {
    try {
      return localStorage.getItem(PAUSE_KEY) === '1';
    } catch {
      return false;
    }
  },
  set: (paused) => {
    try {
      if (paused) localStorage.setItem(PAUSE_KEY, '1');
      else localStorage.removeItem(PAUSE_KEY);
    } catch { /* storage disabled: pause lasts for this page only */ }
  },
};

export interface RunnerDeps {
  lib: Library;
  engine: Pick<AppEngine, 'compress'>;
  /** The loaded model, or null while none is ready. */
  model: () => ModelInfo | null;
  pauseMemory?: PauseMemory;
  renewEveryMs?: number;
  now?: () => number;
}

export class IndexingRunner {
  private loop: Promise<void> | null = null;
  private again = false;
  private paused: boolean;
  private blockedByStorage = false;
  private cancelling = false;
  private disposed = false;
  private current: AbortController | null = null;
  private readonly now: () => number;
  private readonly memory: PauseMemory | null;

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.memory = deps.pauseMemory ?? null;
    this.paused = this.memory?.get() ?? false;
    queueActions.setMode(this.paused ? 'paused' : deps.model() ? 'idle' : 'waiting-for-model');
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Look for work (new photos, a model became ready). Cheap to call often. */
  wake(): void {
    if (this.disposed) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.again = false;
    this.loop = this.run()
      .catch((e: unknown) => { reportError(e, 'indexing'); })
      .finally(() => {
        this.loop = null;
        if (this.again && !this.disposed) this.wake();
      });
  }

  /** Resolves when the loop has nothing more to do right now (tests, cancel). */
  async settled(): Promise<void> {
    while (this.loop) await this.loop;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.memory?.set(true);
    queueActions.setMode(this.loop && queueStore.getState().current ? 'pausing' : 'paused');
  }

  resume(): void {
    this.paused = false;
    this.blockedByStorage = false;
    this.memory?.set(false);
    if (!this.loop) queueActions.setMode(this.deps.model() ? 'idle' : 'waiting-for-model');
    this.wake();
  }

  /** Aborts the photo being indexed and marks every queued photo of this tab failed ("cancelled"). */
  async cancel(): Promise<number> {
    this.cancelling = true;
    try {
      this.current?.abort();
      await this.settled();
      const { lib } = this.deps;
      let n = 0;
      for (const job of await listJobs(lib)) {
        const claimable = job.state === 'pending' || job.owner === lib.tabId || (job.leaseUntil ?? 0) < this.now();
        if (claimable && (await failIndexing(lib, job.photoId, CANCELLED_REASON))) n++;
      }
      return n;
    } finally {
      this.cancelling = false;
      if (!this.disposed) queueActions.setMode(this.paused ? 'paused' : this.deps.model() ? 'idle' : 'waiting-for-model');
    }
  }

  /** Stops for good (page teardown, tests). The job being indexed stays in the queue for the next page load. */
  dispose(): void {
    this.disposed = true;
    this.current?.abort();
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.disposed || this.cancelling) return;
      if (this.paused) {
        queueActions.setMode('paused');
        return;
      }
      if (this.blockedByStorage) {
        queueActions.setMode('stopped-storage-full');
        return;
      }
      const model = this.deps.model();
      if (!model) {
        queueActions.setMode('waiting-for-model');
        return;
      }
      let claimed: ClaimedJob | null;
      try {
        claimed = await claimNextJob(this.deps.lib, this.now());
      } catch (e) {
        this.stopOnStorageError(e);
        return;
      }
      if (!claimed) {
        queueActions.setMode('idle');
        return;
      }
      if (!this.paused) queueActions.setMode('running');
      await this.indexOne(claimed);
    }
  }

  private async indexOne({ photo }: ClaimedJob): Promise<void> {
    const { lib, engine } = this.deps;
    const started = this.now();
    const ctrl = new AbortController();
    this.current = ctrl;
    queueActions.started(photo.id, photo.name, started);
    const timer = setInterval(() => {
      renewLease(lib, photo.id).then((ours) => { if (!ours) ctrl.abort(); }, () => {});
    }, this.deps.renewEveryMs ?? LEASE_MS / 3);
    try {
      const original = await getOriginal(lib, photo.id);
      if (!original) {
        await failIndexing(lib, photo.id, NO_ORIGINAL_REASON);
        queueActions.finished(false, null);
        return;
      }
      const r = await engine.compress(original.blob, { signal: ctrl.signal });
      ctrl.signal.throwIfAborted();
      await finishIndexing(lib, {
        photoId: photo.id, modelId: r.modelId, K: r.K, d: r.d, tokens: r.tokens,
        ...(r.embedding ? { embedding: r.embedding } : {}),
      }, this.now());
      queueActions.finished(true, this.now() - started);
    } catch (e) {
      if (ctrl.signal.aborted) {
        // Cancelled: say so on the photo. Disposed or lease lost: leave the job for whoever claims it next.
        if (this.cancelling) await failIndexing(lib, photo.id, CANCELLED_REASON).catch(() => {});
        queueActions.finished(false, null);
      } else if (isStorageFull(e)) {
        this.stopOnStorageError(e);
        queueActions.finished(false, null);
      } else if (ENGINE_DOWN.has((e as { name?: string } | null)?.name ?? '')) {
        await releaseJob(lib, photo.id, reasonOf(e)).catch((e2: unknown) => this.stopOnStorageError(e2));
        queueActions.requeued();
        await new Promise((r) => setTimeout(r, ENGINE_DOWN_PAUSE_MS));
      } else {
        await failIndexing(lib, photo.id, reasonOf(e)).catch((e2: unknown) => this.stopOnStorageError(e2));
        queueActions.finished(false, null);
      }
    } finally {
      clearInterval(timer);
      this.current = null;
    }
  }

  private stopOnStorageError(e: unknown): void {
    reportError(e, 'indexing');
    if (isStorageFull(e)) {
      this.blockedByStorage = true;
      queueActions.setMode('stopped-storage-full');
    }
  }
}
