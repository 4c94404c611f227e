// The indexing queue's runner as the UI sees it: running / paused / waiting for a model, the photo being
// indexed, and the durations that give the ETA. Written by src/app/indexingRunner.ts only.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export type QueueMode =
  | 'waiting-for-model' // no model loaded: nothing can be indexed yet
  | 'idle' // model ready, nothing to do
  | 'running'
  | 'pausing' // pause asked: the current photo finishes first
  | 'paused'
  | 'stopped-storage-full'; // a write failed for lack of space: resume after freeing space

export interface QueueState {
  mode: QueueMode;
  /** The photo being indexed now. */
  current: { photoId: string; name: string; startedAt: number } | null;
  /** Photos indexed / failed since the page loaded. */
  done: number;
  failed: number;
  /** Milliseconds per photo, the last few (newest last), for the ETA. */
  recentMs: number[];
}

export const initialQueueState: QueueState = { mode: 'waiting-for-model', current: null, done: 0, failed: 0, recentMs: [] };

export const queueStore = createStore<QueueState>()(() => initialQueueState);

const RECENT = 20;

export const queueActions = {
  setMode(mode: QueueMode): void {
    queueStore.setState({ mode });
  },
  started(photoId: string, name: string, at: number): void {
    queueStore.setState({ current: { photoId, name, startedAt: at } });
  },
  finished(ok: boolean, ms: number | null): void {
    queueStore.setState((s) => ({
      current: null,
      done: s.done + (ok ? 1 : 0),
      failed: s.failed + (ok ? 0 : 1),
      recentMs: ms === null ? s.recentMs : [...s.recentMs, ms].slice(-RECENT),
    }));
  },
  /** The photo went back to the queue: the engine failed, not the photo (neither done nor failed). */
  requeued(): void {
    queueStore.setState({ current: null });
  },
  reset(): void {
    queueStore.setState(initialQueueState, true);
  },
};

export function useQueue<T>(selector: (s: QueueState) => T): T {
  return useStore(queueStore, selector);
}

/**
 * Estimated milliseconds until `remaining` photos are indexed: the median of the recent durations times the
 * count (the median ignores the first photo's warm-up). null when nothing was measured yet.
 */
export function etaMs(recentMs: readonly number[], remaining: number): number | null {
  if (recentMs.length === 0 || remaining <= 0) return remaining <= 0 ? 0 : null;
  const sorted = [...recentMs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return median * remaining;
}
