// Attention for both Fwd2Bot passes, on ORT's GPU device, between ORT sessions (see attention.wgsl).
//
// Layout contract with the exported per-layer graphs (batch 1, row-major):
//   q         (S, Hq, hd)              fp32 or fp16, after RoPE (the natural (1, S, Hq*hd) q_proj output)
//   kNew,vNew (S, Hkv, hd)             same dtype, after RoPE for k
//   cache.k/v (capacity, Hkv, hd)      owned here, one KvCache per layer; `length` keys are valid
//   out       (S, Hq, hd)              same dtype; feeds o_proj in the next ORT session
//   lse       (S, Hq) fp32, optional   log-sum-exp per row and head, input of the attention map
// Per layer the engine records   encodeKvAppend(rec, cache, kNew, vNew, S)   then
//   encodeAttention(rec, { q, S, Hq, cache, out, ... })   and submits once per layer (or per token).

import wgsl from './attention.wgsl?raw';
import { getPipeline, packUniforms, preprocessWgsl, uniformLayout, warmPipeline, type PipelineSpec } from '../gpu/pipelines';
import { Recorder, STORAGE_RW, getBufferPool } from '../gpu/buffers';
import {
  BYTES, KernelShapeError, align4, checkInt, checkShape, checkStorageBinding, checkStorageBufferCount,
  checkWorkgroups, type Dtype,
} from './checks';

export const ATTENTION_WG = 64;
export const ATTENTION_MAX_HEAD_DIM = 256;

/** Below this many query rows the key-parallel `decode` entry point is used, from it on `prefill`. */
export const ATTENTION_PREFILL_MIN_ROWS = 16;
const PREFILL_ROWS = 64; // query rows per prefill workgroup

export type AttentionVariant = 'decode' | 'prefill';

const layout = uniformLayout(wgsl);
const codeCache = new Map<string, string>();
/** Module source per (dtype, head dim): the prefill entry point needs HD as a compile-time constant. */
function code(dtype: Dtype, hd: number): string {
  const key = `${dtype}/${hd}`;
  let c = codeCache.get(key);
  if (!c) {
    c = preprocessWgsl(wgsl, { F16: dtype === 'f16' }, { HD: hd });
    codeCache.set(key, c);
  }
  return c;
}
const spec = (dtype: Dtype, variant: AttentionVariant, hd: number): PipelineSpec => variant === 'decode'
  ? { label: `attention/decode/${dtype}`, code: code(dtype, ATTENTION_MAX_HEAD_DIM), entryPoint: 'decode' }
  : { label: `attention/prefill/${dtype}/hd${hd}`, code: code(dtype, hd), entryPoint: 'prefill' };

/** The WGSL `Params` struct of attention.wgsl, field for field. */
export interface AttentionParams {
  S: number; Hq: number; Hkv: number; hd: number; pastLen: number;
  blockStart: number; blockEnd: number; useKeyMask: number; writeLse: number; scale: number;
}

// ------------------------------------------------------------------------------------------ KV cache

export interface KvCache {
  readonly device: GPUDevice;
  readonly dtype: Dtype;
  readonly capacity: number; // T_max
  readonly Hkv: number;
  readonly hd: number;
  readonly k: GPUBuffer; // (capacity, Hkv, hd) dtype
  readonly v: GPUBuffer; // (capacity, Hkv, hd) dtype
  /** Keys valid in the cache (after the recorded appends execute). */
  length: number;
}

export interface KvCacheOptions { capacity: number; Hkv: number; hd: number; dtype?: Dtype; label?: string }

export function createKvCache(device: GPUDevice, o: KvCacheOptions): KvCache {
  const dtype = o.dtype ?? 'f32';
  checkInt('capacity', o.capacity, 1);
  checkInt('Hkv', o.Hkv, 1);
  checkInt('hd', o.hd, 1, ATTENTION_MAX_HEAD_DIM);
  if (dtype === 'f16') checkShape(o.hd % 2 === 0, `f16 KV cache needs an even head dim, got ${o.hd}`);
  const bytes = align4(o.capacity * o.Hkv * o.hd * BYTES[dtype]);
  const lim = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (bytes > lim) {
    throw new KernelShapeError(`KV cache of ${bytes} bytes per tensor exceeds this adapter's binding limit ${lim}; lower capacity`);
  }
  const mk = (which: string) => device.createBuffer({ label: `${o.label ?? 'kv'}.${which}`, size: bytes, usage: STORAGE_RW });
  return { device, dtype, capacity: o.capacity, Hkv: o.Hkv, hd: o.hd, k: mk('k'), v: mk('v'), length: 0 };
}

export function destroyKvCache(cache: KvCache): void {
  cache.k.destroy();
  cache.v.destroy();
  cache.length = 0;
}

/**
 * Append S new positions: kNew, vNew (S, Hkv, hd) in the cache's dtype, copied to rows
 * [length, length + S). A plain buffer copy (the layouts are contiguous), so the sources need COPY_SRC
 * (ORT's GPU output buffers have it).
 */
export function encodeKvAppend(rec: Recorder, cache: KvCache, kNew: GPUBuffer, vNew: GPUBuffer, S: number): void {
  checkInt('S', S, 1, cache.capacity - cache.length);
  const rowBytes = cache.Hkv * cache.hd * BYTES[cache.dtype];
  const bytes = S * rowBytes;
  const at = cache.length * rowBytes;
  checkShape(bytes % 4 === 0 && at % 4 === 0, `KV append: ${bytes} bytes at ${at} is not 4-byte aligned (Hkv*hd must be even for f16)`);
  for (const [name, b] of [['kNew', kNew], ['vNew', vNew]] as const) {
    checkShape(b.size >= bytes, `${name}: buffer has ${b.size} bytes, (S=${S}, Hkv=${cache.Hkv}, hd=${cache.hd}) ${cache.dtype} needs ${bytes}`);
    checkShape((b.usage & GPUBufferUsage.COPY_SRC) !== 0, `${name}: buffer lacks COPY_SRC usage`);
  }
  rec.encoder.copyBufferToBuffer(kNew, 0, cache.k, at, bytes);
  rec.encoder.copyBufferToBuffer(vNew, 0, cache.v, at, bytes);
  cache.length += S;
}

// ------------------------------------------------------------------------------------------ key mask

/** Hidden key positions as a bitset on the GPU, (ceil(capacity/32)) u32. Share one across layers. */
export interface KeyMask { readonly buffer: GPUBuffer; readonly capacity: number; readonly hidden: readonly number[] }

export function keyMaskBits(capacity: number, hidden: readonly number[]): Uint32Array<ArrayBuffer> {
  const bits = new Uint32Array(Math.max(1, Math.ceil(capacity / 32)));
  for (const j of hidden) {
    checkInt('hidden key position', j, 0, capacity - 1);
    bits[j >>> 5] |= 1 << (j & 31);
  }
  return bits;
}

export function createKeyMask(device: GPUDevice, capacity: number, hidden: readonly number[]): KeyMask {
  const bits = keyMaskBits(capacity, hidden);
  const buffer = device.createBuffer({ label: 'keyMask', size: bits.byteLength, usage: STORAGE_RW });
  device.queue.writeBuffer(buffer, 0, bits);
  return { buffer, capacity, hidden: [...hidden] };
}

// ------------------------------------------------------------------------------------------ attention

export interface AttentionMaskOptions {
  /** Pass-1 bidirectional block [start, end) in absolute positions; everything else stays causal. */
  bidirectionalBlock?: { start: number; end: number };
  /** Keys to hide from every query (e.g. chosen summary-token positions in pass 2). */
  keyMask?: KeyMask;
  /** Softmax scale; default 1/sqrt(hd). */
  scale?: number;
}

export interface AttentionArgs extends AttentionMaskOptions {
  q: GPUBuffer; // (S, Hq, hd) cache dtype
  S: number;
  Hq: number;
  /** Must already hold this call's S keys, at [length - S, length). */
  cache: KvCache;
  out: GPUBuffer; // (S, Hq, hd) cache dtype
  lse?: GPUBuffer; // (S, Hq) f32, written when given
  /** Force an entry point (tests, benchmarks); default by S (ATTENTION_PREFILL_MIN_ROWS). */
  variant?: AttentionVariant;
}

export function attentionVariant(a: Pick<AttentionArgs, 'S' | 'variant'>): AttentionVariant {
  return a.variant ?? (a.S >= ATTENTION_PREFILL_MIN_ROWS ? 'prefill' : 'decode');
}

/** Validates everything and returns the uniform values; throws KernelShapeError / KernelLimitError. */
export function attentionParams(device: GPUDevice, a: AttentionArgs): AttentionParams {
  const c = a.cache;
  checkShape(c.device === device, 'attention: the KV cache belongs to another GPUDevice');
  checkInt('S', a.S, 1, c.length);
  checkInt('Hq', a.Hq, 1);
  checkShape(a.Hq % c.Hkv === 0, `attention: Hq = ${a.Hq} is not a multiple of Hkv = ${c.Hkv}`);
  const el = BYTES[c.dtype];
  checkStorageBinding(device, 'q', a.q, align4(a.S * a.Hq * c.hd * el));
  checkStorageBinding(device, 'out', a.out, align4(a.S * a.Hq * c.hd * el));
  checkStorageBinding(device, 'cache.k', c.k, align4(c.capacity * c.Hkv * c.hd * el));
  checkStorageBinding(device, 'cache.v', c.v, align4(c.capacity * c.Hkv * c.hd * el));
  if (a.lse) checkStorageBinding(device, 'lse', a.lse, a.S * a.Hq * 4);
  if (a.keyMask) {
    checkShape(a.keyMask.capacity >= c.capacity, `keyMask covers ${a.keyMask.capacity} positions, the cache has ${c.capacity}`);
    checkShape(a.keyMask.buffer.size >= Math.ceil(c.capacity / 32) * 4, 'keyMask buffer too small');
  }
  const blk = a.bidirectionalBlock;
  if (blk) {
    checkInt('bidirectionalBlock.start', blk.start, 0);
    checkInt('bidirectionalBlock.end', blk.end, blk.start, c.length);
  }
  checkStorageBufferCount(device, 'attention', 6);
  if (attentionVariant(a) === 'decode') checkWorkgroups(device, 'attention.decode', a.Hq, a.S);
  else checkWorkgroups(device, 'attention.prefill', Math.ceil(a.S / PREFILL_ROWS), a.Hq);
  const scale = a.scale ?? 1 / Math.sqrt(c.hd);
  checkShape(Number.isFinite(scale), `attention: scale ${scale} is not finite`);
  return {
    S: a.S, Hq: a.Hq, Hkv: c.Hkv, hd: c.hd, pastLen: c.length - a.S,
    blockStart: blk?.start ?? 0, blockEnd: blk?.end ?? 0,
    useKeyMask: a.keyMask ? 1 : 0, writeLse: a.lse ? 1 : 0, scale,
  };
}

export function encodeAttention(rec: Recorder, a: AttentionArgs): void {
  const device = rec.device;
  const p = attentionParams(device, a);
  const c = a.cache;
  const el = BYTES[c.dtype];
  // Optional bindings still need a buffer (the shader uses them statically): 16-byte dummies, two
  // distinct ones because a buffer may not be bound read-only and read-write in one dispatch.
  const mask = a.keyMask?.buffer ?? rec.transient(16, STORAGE_RW, 'attention.noMask');
  const lse = a.lse ?? rec.transient(16, STORAGE_RW, 'attention.noLse');
  const variant = attentionVariant(a);
  rec.dispatch(getPipeline(device, spec(c.dtype, variant, c.hd)), [
    { binding: 0, resource: { buffer: rec.uniform(packUniforms(layout, p)) } },
    { binding: 1, resource: { buffer: a.q, size: align4(a.S * a.Hq * c.hd * el) } },
    { binding: 2, resource: { buffer: c.k, size: align4(c.capacity * c.Hkv * c.hd * el) } },
    { binding: 3, resource: { buffer: c.v, size: align4(c.capacity * c.Hkv * c.hd * el) } },
    { binding: 4, resource: { buffer: mask, size: a.keyMask ? Math.ceil(c.capacity / 32) * 4 : 16 } },
    { binding: 5, resource: { buffer: a.out, size: align4(a.S * a.Hq * c.hd * el) } },
    { binding: 6, resource: { buffer: lse, size: a.lse ? a.S * a.Hq * 4 : 16 } },
  ], ...(variant === 'decode' ? [a.Hq, a.S] as const : [Math.ceil(a.S / PREFILL_ROWS), a.Hq] as const), 1, `attention.${variant}`);
}

/** Append this call's keys/values and attend: the whole per-layer step between two ORT sessions. */
export function encodeAttentionStep(rec: Recorder, a: Omit<AttentionArgs, 'cache'> & { cache: KvCache; kNew: GPUBuffer; vNew: GPUBuffer }): void {
  encodeKvAppend(rec, a.cache, a.kNew, a.vNew, a.S);
  encodeAttention(rec, a);
}

/** Compile both entry points for this dtype and head dim now (async, WGSL errors reject). */
export async function warmAttention(device: GPUDevice, hd: number, dtype: Dtype = 'f32'): Promise<void> {
  await Promise.all([warmPipeline(device, spec(dtype, 'decode', hd)), warmPipeline(device, spec(dtype, 'prefill', hd))]);
}

/** A pooled output buffer for (S, Hq, hd) of `dtype`; give it back with getBufferPool(device).release. */
export function acquireAttentionOutput(device: GPUDevice, S: number, Hq: number, hd: number, dtype: Dtype = 'f32'): GPUBuffer {
  return getBufferPool(device).acquire(align4(S * Hq * hd * BYTES[dtype]), STORAGE_RW, 'attention.out');
}
