// Search the library: a text query (embedded by the engine: pass 1 with the text in place of the image) or
// "find similar" (a stored photo's embedding) against every photo indexed with the loaded model, ranked
// by cosine similarity. The embeddings matrix is loaded once per library version and model.

import { libraryStore } from '../state/library';
import { readyModel } from '../state/model';
import { searchActions, searchStore, type SearchQuery } from '../state/search';
import { getEmbedding, loadEmbeddings } from '../storage';
import { f16ArrayToF32 } from '../shared/fp16';
import { NoModelError, NotIndexedError } from './errors';
import { topKCosine } from './rank';
import { reasonOf } from './report';
import { requireEngine, requireLibrary } from './services';

interface Matrix {
  modelId: string;
  version: number;
  d: number;
  photoIds: string[];
  rows: Float32Array; // (N, d) fp32, unit rows
}

let cache: Matrix | null = null;
/** The last text query's embedding: changing top-k or the threshold re-ranks without the engine. */
let lastText: { modelId: string; text: string; vector: Float32Array } | null = null;
let seq = 0;
let inflight: AbortController | null = null;

async function matrixFor(modelId: string): Promise<Matrix> {
  const version = libraryStore.getState().version;
  if (cache && cache.modelId === modelId && cache.version === version) return cache;
  const m = await loadEmbeddings(requireLibrary(), modelId);
  cache = { modelId, version, d: m.d, photoIds: m.photoIds, rows: f16ArrayToF32(m.data) };
  return cache;
}

/** Runs `query` (or the current one again, e.g. after the controls changed). Later calls win over earlier ones. */
export async function runSearch(query: SearchQuery | null = searchStore.getState().query): Promise<void> {
  const mine = ++seq;
  inflight?.abort();
  if (!query || (query.kind === 'text' && query.text.trim() === '')) {
    searchActions.clear();
    return;
  }
  const ctrl = new AbortController();
  inflight = ctrl;
  searchActions.searching(query);
  try {
    const model = readyModel();
    if (!model) throw new NoModelError('Search needs the model, which has not loaded yet.');
    let vector: Float32Array;
    let skip: string | null = null;
    if (query.kind === 'text') {
      const text = query.text.trim();
      if (lastText && lastText.modelId === model.modelId && lastText.text === text) vector = lastText.vector;
      else {
        vector = await requireEngine().embedText(text, { signal: ctrl.signal });
        lastText = { modelId: model.modelId, text, vector };
      }
    } else {
      const e = await getEmbedding(requireLibrary(), query.photoId, model.modelId);
      if (!e) throw new NotIndexedError(libraryStore.getState().photos.get(query.photoId)?.status ?? 'unknown');
      vector = f16ArrayToF32(e);
      skip = query.photoId;
    }
    const m = await matrixFor(model.modelId);
    if (mine !== seq) return;
    const { topK, threshold } = searchStore.getState();
    if (m.d > 0 && vector.length !== m.d) throw new RangeError(`The query embedding has ${vector.length} values but the photos' have ${m.d}.`);
    const skipRow = skip === null ? -1 : m.photoIds.indexOf(skip);
    const ranked = m.d === 0 ? [] : topKCosine(m.rows, m.d, vector, topK, threshold, skipRow);
    searchActions.done(ranked.map((r) => ({ photoId: m.photoIds[r.index], score: r.score })), m.photoIds.length - (skipRow >= 0 ? 1 : 0));
  } catch (e) {
    if (mine !== seq || ctrl.signal.aborted) return;
    searchActions.failed(reasonOf(e));
  } finally {
    if (inflight === ctrl) inflight = null;
  }
}

/** Forget the cached matrix (tests; a library cleared under us). */
export function dropSearchCache(): void {
  cache = null;
  lastText = null;
}
