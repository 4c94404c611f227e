// Starting and stopping the app outside React: open the library and mirror it into the store, start the
// indexing runner, load the model. main.tsx calls startApp with the real engine; UI tests with a fake one.

import { libraryActions } from '../state/library';
import { modelActions, modelStore, readyModel } from '../state/model';
import { queueActions } from '../state/queue';
import { openLibrary, setCurrentModel } from '../storage';
import type { AppEngine, ModelSource } from './enginePort';
import { IndexingRunner, localPauseMemory, type PauseMemory } from './indexingRunner';
import { syncLibrary, type LibrarySync } from './librarySync';
import { loadModel } from './modelLoader';
import { reportError } from './report';
import { services } from './services';

export interface StartOptions {
  engine: AppEngine;
  /** The model to load at start (null: none, e.g. tests that load it themselves). */
  model: ModelSource | null;
  /** IndexedDB database name (tests use their own). */
  libraryName?: string;
  pauseMemory?: PauseMemory;
  /** Lease renewal period of the runner (tests shorten it). */
  renewEveryMs?: number;
}

let sync: LibrarySync | null = null;
let unsubscribeModel: (() => void) | null = null;
let unsubscribeBackend: (() => void) | null = null;

/** Opens everything; resolves when the library is listed (the model may still be loading). */
export async function startApp(opts: StartOptions): Promise<void> {
  services.engine = opts.engine;
  if (opts.model?.kind === 'url') services.modelUrl = opts.model.url;
  // The GPU device was lost and the engine rebuilt itself: show where the model runs now (or why it stopped).
  unsubscribeBackend = opts.engine.onBackendChange?.(({ model, error }) => {
    const now = modelStore.getState().model;
    if (model && (now.kind === 'ready' || now.kind === 'failed')) modelActions.set({ kind: 'ready', info: model });
    else if (!model && error && now.kind === 'ready') {
      modelActions.set({ kind: 'failed', source: now.info.source, name: 'DeviceLostError', message: error, hint: 'Reload the page to start the model again.' });
    }
    services.runner?.wake();
  }) ?? null;
  const modelLoad = opts.model ? loadModel(opts.model) : Promise.resolve(null);
  try {
    const lib = await openLibrary(opts.libraryName ? { name: opts.libraryName } : {});
    services.lib = lib;
    const runner = new IndexingRunner({
      lib, engine: opts.engine, model: readyModel, pauseMemory: opts.pauseMemory ?? localPauseMemory,
      ...(opts.renewEveryMs ? { renewEveryMs: opts.renewEveryMs } : {}),
    });
    services.runner = runner;
    sync = syncLibrary(lib, () => runner.wake());
    // A model that became ready before the library opened is recorded now.
    unsubscribeModel = modelStore.subscribe((s, prev) => {
      if (s.model.kind === 'ready' && prev.model.kind !== 'ready') runner.wake();
    });
    const ready = readyModel();
    if (ready) await setCurrentModel(lib, ready.modelId).catch((e: unknown) => { reportError(e, 'storage'); });
    await sync.ready;
    runner.wake();
  } catch (e) {
    libraryActions.failed(e instanceof Error ? e.message : String(e));
    reportError(e, 'storage');
  }
  void modelLoad;
}

/** Closes the library and stops the runner; resets every store (tests, page teardown). */
export function stopApp(): void {
  sync?.stop();
  sync = null;
  unsubscribeModel?.();
  unsubscribeModel = null;
  unsubscribeBackend?.();
  unsubscribeBackend = null;
  services.runner?.dispose();
  services.runner = null;
  services.lib?.close();
  services.lib = null;
  services.engine = null;
  libraryActions.reset();
  modelActions.reset();
  queueActions.reset();
}
