// Photo imports in progress and the last import's report: what was added, what was a duplicate, and every
// file that was left out with the reason. Written by src/app/importFiles.ts.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export interface ImportProblem {
  name: string;
  reason: string;
}

export interface ImportReport {
  at: number;
  added: number;
  duplicates: number;
  requeued: number;
  problems: ImportProblem[];
}

export interface ImportsState {
  /** Files being read now (null when no import runs). */
  busy: { done: number; total: number } | null;
  report: ImportReport | null;
}

export const importsStore = createStore<ImportsState>()(() => ({ busy: null, report: null }));

export const importsActions = {
  progress(done: number, total: number): void {
    importsStore.setState({ busy: { done, total } });
  },
  finished(report: ImportReport): void {
    importsStore.setState({ busy: null, report });
  },
  dismissReport(): void {
    importsStore.setState({ report: null });
  },
  reset(): void {
    importsStore.setState({ busy: null, report: null }, true);
  },
};

export function useImports<T>(selector: (s: ImportsState) => T): T {
  return useStore(importsStore, selector);
}
