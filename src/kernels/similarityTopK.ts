// Gallery similarity search on the GPU (see similarityTopK.wgsl): Q queries against N stored
// embeddings, top-k per query, two-stage reduction, database chunked under the adapter's limits.
//
// What is stored: one embedding per photo (Fwd2Bot: e_v = mean over the K summary tokens of H_v^c),
// L2-normalised by the caller so that cosine similarity is a dot product (pass { normalize: true } to
// have the kernel divide by both norms instead). Rows live in `chunks`, each a GPUBuffer of
// (rowsPerChunk, d) fp16 or fp32 that fits maxStorageBufferBindingSize and maxBufferSize; N up to
// millions is several chunks. Row i is chunk floor(i / rowsPerChunk), row i % rowsPerChunk.
//
// Results: scores (Q, k) f32 best first, indices (Q, k) i32; ties by lower index; -1 / -Infinity fill
// the slots when k > N.

import wgsl from './similarityTopK.wgsl?raw';
import { getPipeline, packUniforms, preprocessWgsl, uniformLayout, warmPipeline, type PipelineSpec } from '../gpu/pipelines';
import { Recorder, STORAGE_RW, getBufferPool, readBuffer } from '../gpu/buffers';
import {
  BYTES, KernelLimitError, KernelShapeError, checkInt, checkShape, checkStorageBinding, checkStorageBufferCount,
  checkWorkgroupSize, checkWorkgroups, type Dtype,
} from './checks';
import { toF16 } from './f16';

export const TOPK_MAX_K = 256;
const TILE = 256;
const MERGE_TILES = 16; // a merge workgroup reduces 4096 candidates to k
const MAX_TILES_PER_GROUP = 64;
const SENT = -3.0e38;
const NONE = 0xffffffff;

const layout = uniformLayout(wgsl);
const code: Record<Dtype, string> = {
  f32: preprocessWgsl(wgsl, { F16: false }),
  f16: preprocessWgsl(wgsl, { F16: true }),
};
const spec = (dbType: Dtype, entryPoint: 'scan' | 'merge', k: number): PipelineSpec =>
  ({ label: `similarityTopK/${entryPoint}/${dbType}/k${k}`, code: code[entryPoint === 'merge' ? 'f32' : dbType], entryPoint, constants: { KC: k } });

/** The WGSL `Params` struct of similarityTopK.wgsl. */
export interface TopKParams {
  d: number; rowsInChunk: number; rowBase: number; rowsPerGroup: number; groupOffset: number; groupsTotal: number;
  normalize: number; qBase: number; outQBase: number; nIn: number; candsPerGroup: number;
}

// ------------------------------------------------------------------------------------------ store

export interface EmbeddingStore {
  readonly device: GPUDevice;
  readonly d: number;
  readonly dtype: Dtype;
  /** Rows per full chunk (from the device limits, or forced smaller for tests). */
  readonly rowsPerChunk: number;
  /** (rowsPerChunk, d) each; the last one may be allocated smaller and grows on append. */
  readonly chunks: GPUBuffer[];
  /** Rows allocated in each chunk. */
  readonly chunkCapacity: number[];
  count: number;
}

export interface EmbeddingStoreOptions {
  d: number;
  dtype?: Dtype; // default 'f16' (what the library stores)
  /** Force a smaller chunk (tests exercise chunking on a small N this way). */
  rowsPerChunk?: number;
  /** Rows to allocate up front (default 1024). */
  initialCapacity?: number;
}

/** Rows per chunk that keep one chunk within this device's binding and buffer limits. */
export function maxRowsPerChunk(device: GPUDevice, d: number, dtype: Dtype): number {
  const lim = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  return Math.floor(lim / (d * BYTES[dtype]));
}

export function createEmbeddingStore(device: GPUDevice, o: EmbeddingStoreOptions): EmbeddingStore {
  const dtype = o.dtype ?? 'f16';
  checkInt('d', o.d, 1);
  if (dtype === 'f16') checkShape(o.d % 2 === 0, `fp16 embeddings need an even d, got ${o.d}`);
  const maxRows = maxRowsPerChunk(device, o.d, dtype);
  if (maxRows < 1) throw new KernelLimitError(`one embedding of d = ${o.d} does not fit a storage binding on this adapter`);
  const rowsPerChunk = Math.min(o.rowsPerChunk ?? maxRows, maxRows);
  checkInt('rowsPerChunk', rowsPerChunk, 1);
  const store: EmbeddingStore = { device, d: o.d, dtype, rowsPerChunk, chunks: [], chunkCapacity: [], count: 0 };
  ensureCapacity(store, o.initialCapacity ?? 1024);
  return store;
}

function rowBytes(s: EmbeddingStore): number { return s.d * BYTES[s.dtype]; }

/** Grow the last chunk (doubling, copying on the GPU) or add chunks until `rows` rows fit. */
export function ensureCapacity(s: EmbeddingStore, rows: number): void {
  const total = () => s.chunkCapacity.reduce((a, b) => a + b, 0);
  while (total() < rows) {
    const last = s.chunks.length - 1;
    if (last >= 0 && s.chunkCapacity[last] < s.rowsPerChunk) {
      const want = Math.min(s.rowsPerChunk, Math.max(s.chunkCapacity[last] * 2, rows - (total() - s.chunkCapacity[last])));
      const bigger = s.device.createBuffer({ label: `embeddings.chunk${last}`, size: Math.max(16, want * rowBytes(s)), usage: STORAGE_RW });
      const enc = s.device.createCommandEncoder({ label: 'embeddings.grow' });
      enc.copyBufferToBuffer(s.chunks[last], 0, bigger, 0, s.chunkCapacity[last] * rowBytes(s));
      s.device.queue.submit([enc.finish()]);
      s.chunks[last].destroy();
      s.chunks[last] = bigger;
      s.chunkCapacity[last] = want;
    } else {
      const want = Math.min(s.rowsPerChunk, Math.max(1, rows - total()));
      s.chunks.push(s.device.createBuffer({ label: `embeddings.chunk${s.chunks.length}`, size: Math.max(16, want * rowBytes(s)), usage: STORAGE_RW }));
      s.chunkCapacity.push(want);
    }
  }
}

/**
 * Write rows [start, start + n) from `rows` (n, d): Float32Array (converted to fp16 for an fp16 store)
 * or Uint16Array of half bits (fp16 store only). Extends `count` if it writes past it.
 */
export function writeEmbeddings(s: EmbeddingStore, start: number, rows: Float32Array | Uint16Array): void {
  checkShape(rows.length % s.d === 0, `writeEmbeddings: ${rows.length} values is not a multiple of d = ${s.d}`);
  const n = rows.length / s.d;
  checkInt('start', start, 0, s.count);
  let data: Float32Array | Uint16Array = rows;
  if (s.dtype === 'f16' && rows instanceof Float32Array) data = toF16(rows);
  checkShape(!(s.dtype === 'f32' && rows instanceof Uint16Array), 'writeEmbeddings: half bits given to an fp32 store');
  ensureCapacity(s, start + n);
  let done = 0;
  while (done < n) {
    const row = start + done;
    const c = Math.floor(row / s.rowsPerChunk);
    const inChunk = row % s.rowsPerChunk;
    const take = Math.min(n - done, s.chunkCapacity[c] - inChunk);
    const el = s.d;
    s.device.queue.writeBuffer(s.chunks[c], inChunk * rowBytes(s), data.buffer, data.byteOffset + done * el * data.BYTES_PER_ELEMENT, take * el * data.BYTES_PER_ELEMENT);
    done += take;
  }
  s.count = Math.max(s.count, start + n);
}

/** Append rows; returns the index of the first. */
export function appendEmbeddings(s: EmbeddingStore, rows: Float32Array | Uint16Array): number {
  const first = s.count;
  writeEmbeddings(s, first, rows);
  return first;
}

/** Forget rows from `count` on (the engine removes a photo by moving the last row into its slot first). */
export function truncateEmbeddings(s: EmbeddingStore, count: number): void {
  checkInt('count', count, 0, s.count);
  s.count = count;
}

export function destroyEmbeddingStore(s: EmbeddingStore): void {
  for (const b of s.chunks) b.destroy();
  s.chunks.length = 0;
  s.chunkCapacity.length = 0;
  s.count = 0;
}

// ------------------------------------------------------------------------------------------ search

export interface SearchOptions {
  /** Divide by |q| |x| in the kernel (default false: rows and queries are already L2-normalised). */
  normalize?: boolean;
  /** Queries per batch; default: as many as fit the partial-result binding. */
  queryBatch?: number;
  /** Scan workgroups per chunk and query to aim for; default defaultTargetGroups(device). */
  targetGroups?: number;
}

export interface TopKBuffers {
  scores: GPUBuffer; // (Q, k) f32
  indices: GPUBuffer; // (Q, k) u32, 0xffffffff = none
  Q: number;
  k: number;
  /** Hand both buffers back to the pool. */
  release(): void;
}

interface ChunkPlan { chunk: number; rows: number; rowBase: number; rowsPerGroup: number; groups: number; groupOffset: number }

/**
 * Scan workgroups per chunk and query before rows per workgroup grow. Each workgroup ends with at least
 * one sort, so fewer, longer workgroups are cheaper as long as the device stays busy: a real GPU wants a
 * few per compute unit, a CPU fallback adapter (SwiftShader) has a handful of threads.
 */
export function defaultTargetGroups(device: GPUDevice): number {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).adapterInfo;
  const cpu = info?.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(`${info?.architecture} ${info?.description} ${info?.vendor}`);
  return cpu ? 16 : 256;
}

function plan(s: EmbeddingStore, targetGroups: number): { chunks: ChunkPlan[]; groupsTotal: number } {
  const chunks: ChunkPlan[] = [];
  let groupsTotal = 0;
  for (let c = 0; c * s.rowsPerChunk < s.count; c++) {
    const rows = Math.min(s.rowsPerChunk, s.count - c * s.rowsPerChunk);
    const tiles = Math.min(MAX_TILES_PER_GROUP, Math.max(1, Math.ceil(rows / (TILE * targetGroups))));
    const rowsPerGroup = tiles * TILE;
    const groups = Math.ceil(rows / rowsPerGroup);
    chunks.push({ chunk: c, rows, rowBase: c * s.rowsPerChunk, rowsPerGroup, groups, groupOffset: groupsTotal });
    groupsTotal += groups;
  }
  return { chunks, groupsTotal };
}

/**
 * Record the search; the results stay on the GPU (pooled buffers: call `release()` when read).
 * queries: (Q, d) f32 in a storage buffer on the store's device.
 */
export function encodeSearchTopK(rec: Recorder, s: EmbeddingStore, queries: GPUBuffer, Q: number, k: number, o: SearchOptions = {}): TopKBuffers {
  const device = rec.device;
  checkShape(device === s.device, 'search: the store belongs to another GPUDevice');
  checkInt('Q', Q, 1);
  checkInt('k', k, 1, TOPK_MAX_K);
  checkStorageBinding(device, 'queries', queries, Q * s.d * 4);
  checkWorkgroupSize(device, 'similarityTopK', TILE, 512 * 8 + 8);
  checkStorageBufferCount(device, 'similarityTopK', 5);
  const pool = getBufferPool(device);
  const scores = pool.acquire(Q * k * 4, STORAGE_RW, 'topk.scores');
  const indices = pool.acquire(Q * k * 4, STORAGE_RW, 'topk.indices');
  const result: TopKBuffers = { scores, indices, Q, k, release: () => { pool.release(scores); pool.release(indices); } };
  if (s.count === 0) {
    // Nothing stored: every slot is "none".
    device.queue.writeBuffer(scores, 0, new Float32Array(Q * k).fill(SENT));
    device.queue.writeBuffer(indices, 0, new Uint32Array(Q * k).fill(NONE));
    return result;
  }
  const targetGroups = o.targetGroups ?? defaultTargetGroups(device);
  checkInt('targetGroups', targetGroups, 1);
  const { chunks, groupsTotal } = plan(s, targetGroups);
  const maxBind = device.limits.maxStorageBufferBindingSize;
  const perQuery = groupsTotal * k * 4;
  const fit = Math.floor(maxBind / perQuery);
  if (fit < 1) throw new KernelLimitError(`search: ${groupsTotal} partial groups x k = ${k} per query exceed maxStorageBufferBindingSize ${maxBind}`);
  const qBatch = Math.min(o.queryBatch ?? fit, fit, device.limits.maxComputeWorkgroupsPerDimension, Q);
  const base: TopKParams = {
    d: s.d, rowsInChunk: 0, rowBase: 0, rowsPerGroup: 0, groupOffset: 0, groupsTotal: 0,
    normalize: o.normalize ? 1 : 0, qBase: 0, outQBase: 0, nIn: 0, candsPerGroup: MERGE_TILES * TILE,
  };
  const scanPipe = getPipeline(device, spec(s.dtype, 'scan', k));
  const mergePipe = getPipeline(device, spec('f32', 'merge', k));
  const el = BYTES[s.dtype];

  for (let q0 = 0; q0 < Q; q0 += qBatch) {
    const qb = Math.min(qBatch, Q - q0);
    const direct = groupsTotal === 1; // a single scan group already yields the final top-k
    let curS = direct ? scores : rec.transient(qb * perQuery, STORAGE_RW, 'topk.partialScores');
    let curI = direct ? indices : rec.transient(qb * perQuery, STORAGE_RW, 'topk.partialIdx');
    for (const c of chunks) {
      checkWorkgroups(device, 'similarityTopK.scan', c.groups, qb);
      const chunkBytes = c.rows * s.d * el;
      checkStorageBinding(device, `chunk ${c.chunk}`, s.chunks[c.chunk], Math.ceil(chunkBytes / 4) * 4);
      const p: TopKParams = {
        ...base, rowsInChunk: c.rows, rowBase: c.rowBase, rowsPerGroup: c.rowsPerGroup, groupOffset: c.groupOffset,
        groupsTotal, qBase: q0, outQBase: direct ? q0 : 0,
      };
      rec.dispatch(scanPipe, [
        { binding: 0, resource: { buffer: rec.uniform(packUniforms(layout, p)) } },
        { binding: 1, resource: { buffer: queries, size: Q * s.d * 4 } },
        { binding: 2, resource: { buffer: s.chunks[c.chunk], size: Math.ceil(chunkBytes / 4) * 4 } },
        { binding: 3, resource: { buffer: curS, size: direct ? Q * k * 4 : qb * perQuery } },
        { binding: 4, resource: { buffer: curI, size: direct ? Q * k * 4 : qb * perQuery } },
      ], c.groups, qb, 1, 'similarityTopK.scan');
    }
    // Merge rounds: (qb, G, k) -> (qb, ceil(G*k / 4096), k) ... -> (qb, 1, k), the last into the result.
    let nIn = groupsTotal * k;
    while (!direct && nIn > k) {
      const groups = Math.ceil(nIn / (MERGE_TILES * TILE));
      const last = groups === 1;
      checkWorkgroups(device, 'similarityTopK.merge', groups, qb);
      const nextS = last ? scores : rec.transient(qb * groups * k * 4, STORAGE_RW, 'topk.mergeScores');
      const nextI = last ? indices : rec.transient(qb * groups * k * 4, STORAGE_RW, 'topk.mergeIdx');
      const p: TopKParams = { ...base, groupsTotal: groups, outQBase: last ? q0 : 0, nIn };
      rec.dispatch(mergePipe, [
        { binding: 0, resource: { buffer: rec.uniform(packUniforms(layout, p)) } },
        { binding: 3, resource: { buffer: nextS, size: last ? Q * k * 4 : qb * groups * k * 4 } },
        { binding: 4, resource: { buffer: nextI, size: last ? Q * k * 4 : qb * groups * k * 4 } },
        { binding: 5, resource: { buffer: curS, size: qb * nIn * 4 } },
        { binding: 6, resource: { buffer: curI, size: qb * nIn * 4 } },
      ], groups, qb, 1, 'similarityTopK.merge');
      curS = nextS;
      curI = nextI;
      nIn = groups * k;
    }
  }
  return result;
}

export interface TopKResult {
  Q: number;
  k: number;
  scores: Float32Array; // (Q, k), -Infinity where no row
  indices: Int32Array; // (Q, k), -1 where no row
}

/** Search and read the result back: queries (Q, d) f32 on the CPU or already on the GPU. */
export async function searchTopK(s: EmbeddingStore, queries: Float32Array | GPUBuffer, k: number, o: SearchOptions & { Q?: number } = {}): Promise<TopKResult> {
  const device = s.device;
  let qBuf: GPUBuffer;
  let Q: number;
  const pool = getBufferPool(device);
  let ownQ = false;
  if (queries instanceof Float32Array) {
    checkShape(queries.length % s.d === 0 && queries.length > 0, `queries: ${queries.length} values is not a positive multiple of d = ${s.d}`);
    Q = queries.length / s.d;
    qBuf = pool.acquire(queries.byteLength, STORAGE_RW, 'topk.queries');
    device.queue.writeBuffer(qBuf, 0, queries.buffer, queries.byteOffset, queries.byteLength);
    ownQ = true;
  } else {
    if (o.Q === undefined) throw new KernelShapeError('searchTopK: pass { Q } with a GPU query buffer');
    Q = o.Q;
    qBuf = queries;
  }
  const rec = new Recorder(device, 'similarityTopK');
  let res: TopKBuffers;
  try {
    res = encodeSearchTopK(rec, s, qBuf, Q, k, o);
    rec.submit();
  } finally {
    if (ownQ) pool.release(qBuf);
  }
  try {
    const [sc, ix] = await Promise.all([readBuffer(device, res.scores, Q * k * 4), readBuffer(device, res.indices, Q * k * 4)]);
    const scores = new Float32Array(sc);
    const raw = new Uint32Array(ix);
    const indices = new Int32Array(Q * k);
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === NONE) { indices[i] = -1; scores[i] = -Infinity; } else indices[i] = raw[i];
    }
    return { Q, k, scores, indices };
  } finally {
    res.release();
  }
}

export async function warmSimilarityTopK(device: GPUDevice, dtype: Dtype, k: number): Promise<void> {
  await Promise.all([warmPipeline(device, spec(dtype, 'scan', k)), warmPipeline(device, spec('f32', 'merge', k))]);
}
