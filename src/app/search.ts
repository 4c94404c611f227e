// Search the library: a text query (embedded by the engine: pass 1 with the text in place of the image) or
// "find similar" (a stored photo's embedding) against every photo indexed with the loaded model, ranked
// by cosine similarity. The embeddings matrix is loaded once per library version and model. Ranking runs
// where it was measured to be faster on this machine (rankPath.ts): the JS scan here, or the engine's GPU
// kernel; the choice is measured once per model and library size class and shown with the results.

import { libraryStore } from '../state/library';
import { readyModel } from '../state/model';
import { searchActions, searchStore, type SearchQuery } from '../state/search';
import { getEmbedding, loadEmbeddings } from '../storage';
import { f16ArrayToF32 } from '../shared/fp16';
import { NoModelError, NotIndexedError } from './errors';
import type { AppEngine, GalleryRanker, ModelInfo } from './enginePort';
import { normalize, topKCosine, type Ranked } from './rank';
import { chooseRankPath, sizeClass, type RankChoice } from './rankPath';
import { reasonOf } from './report';
import { requireEngine, requireLibrary } from './services';

interface Matrix {
  modelId: string;
  version: number;
  d: number;
  photoIds: string[];
  rows: Float32Array; // (N, d) fp32, unit rows
  data: Uint16Array; // (N, d) fp16 bits, what the engine takes
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
  cache = { modelId, version, d: m.d, photoIds: m.photoIds, rows: f16ArrayToF32(m.data), data: m.data };
  return cache;
}

let choice: { modelId: string; sizeClass: number; choice: RankChoice } | null = null;
/** The library version the engine's GPU gallery holds (null: nothing uploaded). */
let uploaded: { modelId: string; version: number } | null = null;

async function upload(g: GalleryRanker, m: Matrix, signal: AbortSignal): Promise<boolean> {
  if (uploaded && uploaded.modelId === m.modelId && uploaded.version === m.version) return true;
  uploaded = null;
  const onGpu = await g.upload({ modelId: m.modelId, d: m.d, photoIds: m.photoIds, data: m.data }, { signal });
  if (onGpu) uploaded = { modelId: m.modelId, version: m.version };
  return onGpu;
}

async function freeGpuGallery(g: GalleryRanker, modelId: string): Promise<void> {
  uploaded = null;
  await g.upload({ modelId, d: 0, photoIds: [], data: new Uint16Array(0) }).catch(() => undefined);
}

/** The ranking path for this library: measured on the real query the first time a size class is seen. */
async function rankChoice(engine: AppEngine, model: ModelInfo, m: Matrix, query: Float32Array, k: number, signal: AbortSignal): Promise<RankChoice> {
  const cls = sizeClass(m.photoIds.length);
  if (choice && choice.modelId === m.modelId && choice.sizeClass === cls) return choice.choice;
  const g = engine.gallery;
  const js = () => topKCosine(m.rows, m.d, query, k);
  let c: RankChoice;
  if (!g) c = await chooseRankPath(m.photoIds.length, js, null, { gpuUnavailable: 'this engine has no GPU ranking' });
  else if (model.device !== 'webgpu') c = await chooseRankPath(m.photoIds.length, js, null, { gpuUnavailable: `the model runs on ${model.device}, not WebGPU` });
  else if (!(await upload(g, m, signal))) c = await chooseRankPath(m.photoIds.length, js, null, { gpuUnavailable: 'the engine kept the embeddings off the GPU' });
  else {
    const q = normalize(query);
    c = await chooseRankPath(m.photoIds.length, js, () => g.rank(q, k, { signal }));
  }
  if (c.path === 'js' && g && uploaded) await freeGpuGallery(g, m.modelId);
  choice = { modelId: m.modelId, sizeClass: cls, choice: c };
  return c;
}

/** Ranks with the chosen path; a failing GPU path falls back to the JS scan for good, saying why. */
async function rank(engine: AppEngine, m: Matrix, c: RankChoice, query: Float32Array, topK: number, threshold: number, skipRow: number, signal: AbortSignal): Promise<{ ranked: Ranked[]; how: RankChoice }> {
  const g = engine.gallery;
  if (c.path === 'gpu' && g) {
    try {
      if (!(await upload(g, m, signal))) throw new Error('the engine kept the embeddings off the GPU');
      const hits = await g.rank(normalize(query), topK + (skipRow >= 0 ? 1 : 0), { signal });
      return { ranked: hits.filter((h) => h.index !== skipRow && h.score >= threshold).slice(0, topK), how: c };
    } catch (e) {
      if (signal.aborted) throw e;
      const how: RankChoice = { ...c, path: 'js', gpuMs: null, reason: `JS scan on the main thread; the GPU kernel failed: ${reasonOf(e)}` };
      choice = { modelId: m.modelId, sizeClass: sizeClass(m.photoIds.length), choice: how };
      return { ranked: topKCosine(m.rows, m.d, query, topK, threshold, skipRow), how };
    }
  }
  return { ranked: topKCosine(m.rows, m.d, query, topK, threshold, skipRow), how: c };
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
    let ranked: Ranked[] = [];
    let how: RankChoice | null = null;
    if (m.d > 0 && m.photoIds.length > 0) {
      const engine = requireEngine();
      const c = await rankChoice(engine, model, m, vector, topK, ctrl.signal);
      ({ ranked, how } = await rank(engine, m, c, vector, topK, threshold, skipRow, ctrl.signal));
    }
    if (mine !== seq) return;
    searchActions.done(ranked.map((r) => ({ photoId: m.photoIds[r.index], score: r.score })), m.photoIds.length - (skipRow >= 0 ? 1 : 0), how?.reason ?? null);
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
  choice = null;
  uploaded = null;
}
