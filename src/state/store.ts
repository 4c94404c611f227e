// The app's one store, created at module level so non-React code (engine client, storage) can update it.
// Plain serialisable state only. A leaf module: imports zustand and types, nothing else of ours at run time.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { BackendStatus } from '../engine/api';
import type { Progress } from '../engine/protocol';

/** An error as the UI shows it: what happened (message) and what to do (hint). */
export interface DisplayError {
  id: number;
  name: string;
  message: string;
  hint?: string;
  /** Where it happened, e.g. 'engine', 'storage'. */
  source: string;
}

export type BackendState =
  | { kind: 'unknown' }
  | { kind: 'probing'; progress: Progress | null }
  | { kind: 'ready'; status: BackendStatus }
  | { kind: 'failed'; error: DisplayError };

export interface ModelLoadState {
  modelId: string;
  progress: Progress;
}

export interface AppState {
  backend: BackendState;
  /** Present while a model loads; null otherwise. */
  modelLoad: ModelLoadState | null;
  /** Newest last; dismissed ones are removed. */
  errors: DisplayError[];
}

export const initialState: AppState = { backend: { kind: 'unknown' }, modelLoad: null, errors: [] };

export const appStore = createStore<AppState>()(() => initialState);

let nextErrorId = 1;

/** The only ways state changes. Callable from anywhere, React or not. */
export const actions = {
  setBackend(backend: BackendState): void {
    appStore.setState({ backend });
  },
  setModelLoad(modelLoad: ModelLoadState | null): void {
    appStore.setState({ modelLoad });
  },
  /** Adds an error for display and returns it (with its id). */
  pushError(e: Omit<DisplayError, 'id'>): DisplayError {
    const shown = { ...e, id: nextErrorId++ };
    appStore.setState((s) => ({ errors: [...s.errors, shown] }));
    return shown;
  },
  dismissError(id: number): void {
    appStore.setState((s) => ({ errors: s.errors.filter((e) => e.id !== id) }));
  },
  reset(): void {
    appStore.setState(initialState, true);
  },
};

/** React hook: `const backend = useAppStore((s) => s.backend)`. */
export function useAppStore<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}
