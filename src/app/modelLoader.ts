// Loading a model package (the default URL on first run, or a folder the user picked): progress and the
// outcome go to the model store; once ready, the library records it as the current model (tokens of
// other models become "stale") and the indexing runner starts on the queue.

import { modelActions } from '../state/model';
import { setCurrentModel } from '../storage';
import type { ModelInfo, ModelSource } from './enginePort';
import { reportError } from './report';
import { requireEngine, services } from './services';
import { hintOf } from '../engine/errors';

let loading: AbortController | null = null;
/** The source of the model now loaded (a picked folder's files are kept to read its model card). */
let loadedFrom: ModelSource | null = null;

export function describeSource(source: ModelSource): string {
  if (source.kind === 'url') return source.url;
  const first = source.files[0];
  const top = first?.webkitRelativePath?.split('/')[0] || first?.name || 'nothing';
  return `the folder you picked (${top})`;
}

/** Loads `source` and makes it the app's model. Resolves with its facts, or null when it failed (state says why). */
export async function loadModel(source: ModelSource): Promise<ModelInfo | null> {
  loading?.abort();
  const ctrl = new AbortController();
  loading = ctrl;
  const where = describeSource(source);
  modelActions.set({ kind: 'loading', source: where, progress: null });
  try {
    const info = await requireEngine().loadModel(source, {
      signal: ctrl.signal,
      onProgress: (progress) => { if (loading === ctrl) modelActions.set({ kind: 'loading', source: where, progress }); },
    });
    if (loading !== ctrl) return null;
    if (services.lib) {
      try {
        await setCurrentModel(services.lib, info.modelId);
      } catch (e) {
        reportError(e, 'storage');
      }
    }
    loadedFrom = source;
    modelActions.set({ kind: 'ready', info });
    services.runner?.wake();
    return info;
  } catch (e) {
    if (loading !== ctrl || ctrl.signal.aborted) return null;
    const err = e as Error;
    if (err?.name === 'EngineFeatureMissingError') modelActions.set({ kind: 'unavailable', reason: err.message });
    else {
      const hint = hintOf(e);
      modelActions.set({ kind: 'failed', source: where, name: err?.name ?? 'Error', message: err?.message ?? String(e), ...(hint ? { hint } : {}) });
    }
    return null;
  } finally {
    if (loading === ctrl) loading = null;
  }
}

/** The text of the loaded package's model card ('' when it has none). */
export async function readModelCard(info: ModelInfo): Promise<string> {
  if (!info.modelCard) return '';
  if (info.baseUrl) {
    const res = await fetch(new URL(info.modelCard, new URL(info.baseUrl, location.href)));
    return res.ok ? res.text() : '';
  }
  if (loadedFrom?.kind === 'files') {
    const want = `/${info.modelCard}`;
    const file = loadedFrom.files.find((f) => `/${f.webkitRelativePath || f.name}`.endsWith(want));
    return file ? file.text() : '';
  }
  return '';
}
