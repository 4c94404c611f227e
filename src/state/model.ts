// The model the app uses: loading (with progress), ready (its facts), failed (why), or unavailable (the engine
// cannot load models). Module-level store: the model loader (src/app/modelLoader.ts) writes it, React reads it.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ModelInfo } from '../app/enginePort';
import type { Progress } from '../engine/protocol';

export type ModelState =
  | { kind: 'idle' }
  | { kind: 'loading'; source: string; progress: Progress | null }
  | { kind: 'ready'; info: ModelInfo }
  | { kind: 'failed'; source: string; name: string; message: string; hint?: string }
  | { kind: 'unavailable'; reason: string };

export const modelStore = createStore<{ model: ModelState }>()(() => ({ model: { kind: 'idle' } }));

export const modelActions = {
  set(model: ModelState): void {
    modelStore.setState({ model });
  },
  reset(): void {
    modelStore.setState({ model: { kind: 'idle' } }, true);
  },
};

export function useModel<T>(selector: (m: ModelState) => T): T {
  return useStore(modelStore, (s) => selector(s.model));
}

/** The loaded model's facts, or null. */
export function readyModel(): ModelInfo | null {
  const m = modelStore.getState().model;
  return m.kind === 'ready' ? m.info : null;
}
