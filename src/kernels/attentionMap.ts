// Attention maps for the heatmap over the photo (paper Fig. 4), see attentionMap.wgsl.
//
// Engine use during pass 1 (sequence = V vision tokens, prompt, K summary tokens; S = whole sequence):
//   const map = createAttentionMap(device, K, V);  map.clear(rec)
//   per layer:  encodeAttention(rec, { ..., lse })                    // lse: (S, Hq) f32 scratch
//               encodeAttentionMapAccumulate(rec, { ...same q/cache/mask args, lse, map,
//                                                  rows: { start: S - K }, keys: { start: 0 },
//                                                  weight: 1 / (Hq * layers) })
//   at the end: encodeAttentionMapReduce(rec, map)  ->  map.heat (V) f32; read it once for the UI.
// map.accum (K, V) keeps the per-summary-token maps ("optionally per summary token").

import wgsl from './attentionMap.wgsl?raw';
import { getPipeline, packUniforms, preprocessWgsl, uniformLayout, warmPipeline, type PipelineSpec } from '../gpu/pipelines';
import { STORAGE_RW, readBuffer, type Recorder } from '../gpu/buffers';
import { attentionParams, type AttentionArgs } from './attention';
import { BYTES, align4, checkInt, checkShape, checkStorageBinding, checkStorageBufferCount, checkWorkgroups, type Dtype } from './checks';

const WG = 64;
const layout = uniformLayout(wgsl);
const code: Record<Dtype, string> = {
  f32: preprocessWgsl(wgsl, { F16: false }),
  f16: preprocessWgsl(wgsl, { F16: true }),
};
const spec = (dtype: Dtype, entryPoint: 'accumulate' | 'reduceRows'): PipelineSpec =>
  ({ label: `attentionMap/${entryPoint}/${dtype}`, code: code[dtype], entryPoint });

/** The WGSL `Params` struct of attentionMap.wgsl. */
export interface AttentionMapParams {
  S: number; Hq: number; Hkv: number; hd: number; pastLen: number; blockStart: number; blockEnd: number;
  useKeyMask: number; rowStart: number; rowCount: number; keyStart: number; keyCount: number;
  weight: number; scale: number; reduceRowStart: number; reduceRowEnd: number; reduceScale: number;
}

export interface AttentionMap {
  readonly rows: number; // K summary tokens
  readonly keys: number; // V vision tokens
  readonly accum: GPUBuffer; // (rows, keys) f32, sum over layers and heads of weight * probability
  readonly heat: GPUBuffer; // (keys) f32, after encodeAttentionMapReduce
  /** Zero accum (record before the first layer). */
  clear(rec: Recorder): void;
  destroy(): void;
}

export function createAttentionMap(device: GPUDevice, rows: number, keys: number): AttentionMap {
  checkInt('rows', rows, 1);
  checkInt('keys', keys, 1);
  const accum = device.createBuffer({ label: 'attentionMap.accum', size: rows * keys * 4, usage: STORAGE_RW });
  const heat = device.createBuffer({ label: 'attentionMap.heat', size: keys * 4, usage: STORAGE_RW });
  return {
    rows, keys, accum, heat,
    clear: (rec) => rec.encoder.clearBuffer(accum),
    destroy: () => { accum.destroy(); heat.destroy(); },
  };
}

export interface AttentionMapAccumulateArgs extends Omit<AttentionArgs, 'out' | 'lse'> {
  /** The lse this layer's encodeAttention wrote, (S, Hq) f32. */
  lse: GPUBuffer;
  map: AttentionMap;
  /** First query row (of this call's S rows); map.rows rows follow. */
  rows: { start: number };
  /** First key position (absolute); map.keys keys follow. */
  keys: { start: number };
  /** Multiplies this layer's head-sum; 1 / (Hq * layers) makes the result a mean. */
  weight: number;
}

export function encodeAttentionMapAccumulate(rec: Recorder, a: AttentionMapAccumulateArgs): void {
  const device = rec.device;
  const c = a.cache;
  // Same validation as the attention call itself (the q/out sizes, cache, block, mask, GQA).
  const ap = attentionParams(device, { ...a, out: a.q });
  const { map } = a;
  checkInt('rows.start', a.rows.start, 0, a.S - map.rows);
  checkInt('keys.start', a.keys.start, 0, c.length - map.keys);
  checkShape(Number.isFinite(a.weight), `weight ${a.weight} is not finite`);
  checkStorageBinding(device, 'lse', a.lse, a.S * a.Hq * 4);
  checkStorageBinding(device, 'map.accum', map.accum, map.rows * map.keys * 4);
  checkStorageBufferCount(device, 'attentionMap', 5);
  const gx = Math.ceil(map.keys / WG);
  checkWorkgroups(device, 'attentionMap.accumulate', gx, map.rows);
  const p: AttentionMapParams = {
    S: ap.S, Hq: ap.Hq, Hkv: ap.Hkv, hd: ap.hd, pastLen: ap.pastLen, blockStart: ap.blockStart,
    blockEnd: ap.blockEnd, useKeyMask: ap.useKeyMask, rowStart: a.rows.start, rowCount: map.rows,
    keyStart: a.keys.start, keyCount: map.keys, weight: a.weight, scale: ap.scale,
    reduceRowStart: 0, reduceRowEnd: 0, reduceScale: 0,
  };
  const el = BYTES[c.dtype];
  const mask = a.keyMask?.buffer ?? rec.transient(16, STORAGE_RW, 'attentionMap.noMask');
  rec.dispatch(getPipeline(device, spec(c.dtype, 'accumulate')), [
    { binding: 0, resource: { buffer: rec.uniform(packUniforms(layout, p)) } },
    { binding: 1, resource: { buffer: a.q, size: align4(a.S * a.Hq * c.hd * el) } },
    { binding: 2, resource: { buffer: c.k, size: align4(c.capacity * c.Hkv * c.hd * el) } },
    { binding: 3, resource: { buffer: mask, size: a.keyMask ? Math.ceil(c.capacity / 32) * 4 : 16 } },
    { binding: 4, resource: { buffer: a.lse, size: a.S * a.Hq * 4 } },
    { binding: 5, resource: { buffer: map.accum, size: map.rows * map.keys * 4 } },
  ], gx, map.rows, 1, 'attentionMap.accumulate');
}

export interface AttentionMapReduceOptions {
  /** Summary rows to combine, default all: [0, map.rows). One row gives that token's own map. */
  rowStart?: number;
  rowEnd?: number;
  /** 'mean' (default) divides by the row count, 'sum' does not. */
  mode?: 'mean' | 'sum';
}

/** heat (V) = mean (or sum) over the chosen summary rows of accum. */
export function encodeAttentionMapReduce(rec: Recorder, map: AttentionMap, o: AttentionMapReduceOptions = {}): void {
  const device = rec.device;
  const r0 = o.rowStart ?? 0;
  const r1 = o.rowEnd ?? map.rows;
  checkInt('rowStart', r0, 0, map.rows - 1);
  checkInt('rowEnd', r1, r0 + 1, map.rows);
  const gx = Math.ceil(map.keys / WG);
  checkWorkgroups(device, 'attentionMap.reduceRows', gx);
  const p: AttentionMapParams = {
    S: 0, Hq: 0, Hkv: 0, hd: 0, pastLen: 0, blockStart: 0, blockEnd: 0, useKeyMask: 0, rowStart: 0,
    rowCount: map.rows, keyStart: 0, keyCount: map.keys, weight: 0, scale: 0,
    reduceRowStart: r0, reduceRowEnd: r1, reduceScale: (o.mode ?? 'mean') === 'mean' ? 1 / (r1 - r0) : 1,
  };
  rec.dispatch(getPipeline(device, spec('f32', 'reduceRows')), [
    { binding: 0, resource: { buffer: rec.uniform(packUniforms(layout, p)) } },
    { binding: 5, resource: { buffer: map.accum, size: map.rows * map.keys * 4 } },
    { binding: 6, resource: { buffer: map.heat, size: map.keys * 4 } },
  ], gx, 1, 1, 'attentionMap.reduceRows');
}

/** The heatmap values (V) on the CPU, one readback for the UI. */
export async function readHeat(device: GPUDevice, map: AttentionMap): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, map.heat, map.keys * 4));
}

/** The per-summary-token maps (K, V) on the CPU. */
export async function readAccum(device: GPUDevice, map: AttentionMap): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, map.accum, map.rows * map.keys * 4));
}

export async function warmAttentionMap(device: GPUDevice, dtype: Dtype = 'f32'): Promise<void> {
  await Promise.all([warmPipeline(device, spec(dtype, 'accumulate')), warmPipeline(device, spec('f32', 'reduceRows'))]);
}
