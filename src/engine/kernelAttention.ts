// The kernel decoder's attention on WebGPU (web only): our WGSL kernels (src/kernels/attention, attentionMap)
// on ORT's GPUDevice, between pre_i and post_i, exchanging GPU buffers with the ORT sessions as
// src/kernels/README.md describes. The KV caches (one per layer, capacity = the model's maxPositions) are
// ours; q/k/v come from pre_i's gpu-buffer outputs, attn goes to post_i as a tensor over our buffer.
// Everything here belongs to one device: once it is lost, attend() and the factory throw DeviceLostError
// instead of appending to caches that no longer exist; the engine then rebuilds the model (and with it a
// new factory, new caches and new pipelines) on the replacement device (src/engine/host.ts).

import type { BackendTensor } from './core/backend';
import type { AttendArgs, AttentionMapResult, AttentionShape, LayerAttention, LayerAttentionFactory, MapSpec } from './core/kernelDecoder';
import { DeviceLostError } from '../gpu/errors';
import { getOrtDevice, gpuBufferOf, isDeviceLost, tensorFromGpuBuffer, type OrtTensor } from '../gpu/ort';
import { Recorder, getBufferPool } from '../gpu/buffers';
import {
  acquireAttentionOutput, createAttentionMap, createKeyMask, createKvCache, destroyKvCache, encodeAttention,
  encodeAttentionMapAccumulate, encodeAttentionMapReduce, encodeKvAppend, readAccum, readHeat, warmAttention,
  warmAttentionMap, type AttentionMap, type KeyMask, type KvCache,
} from '../kernels';

class GpuLayerAttention implements LayerAttention {
  readonly kind = 'kernels';
  private readonly caches: KvCache[];
  private runBuffers: GPUBuffer[] = [];
  private keyMask: { key: string; mask: KeyMask } | null = null;
  private map: { spec: MapSpec; map: AttentionMap } | null = null;
  private disposed = false;

  constructor(private readonly device: GPUDevice, private readonly shape: AttentionShape, capacity: number) {
    this.caches = Array.from({ length: shape.layers }, (_, l) => createKvCache(device, { capacity, Hkv: shape.Hkv, hd: shape.hd, label: `kv.${l}` }));
  }

  get length(): number {
    return this.caches[0].length;
  }

  private maskFor(hidden: readonly number[] | undefined): KeyMask | undefined {
    if (!hidden?.length) return undefined;
    const key = [...hidden].sort((a, b) => a - b).join(',');
    if (this.keyMask?.key !== key) {
      this.keyMask?.mask.buffer.destroy();
      this.keyMask = { key, mask: createKeyMask(this.device, this.caches[0].capacity, hidden) };
    }
    return this.keyMask.mask;
  }

  async attend(a: AttendArgs): Promise<BackendTensor> {
    if (this.disposed) throw new Error('this KV cache was already released');
    if (isDeviceLost(this.device)) throw lostCaches();
    const { Hq, hd, layers } = this.shape;
    const { S } = a;
    const cache = this.caches[a.layer];
    // The caches are fp32; an fp16 export would need f16 caches (the kernels support them) — not wired yet.
    if (a.q.type !== 'float32') throw new Error(`the kernel decoder takes float32 q/k/v, pre_${a.layer} gives ${a.q.type}`);
    const q = gpuBufferOf(a.q as unknown as OrtTensor);
    const out = acquireAttentionOutput(this.device, S, Hq, hd);
    this.runBuffers.push(out);
    const rec = new Recorder(this.device, `decoder.layer${a.layer}`);
    try {
      encodeKvAppend(rec, cache, gpuBufferOf(a.k as unknown as OrtTensor), gpuBufferOf(a.v as unknown as OrtTensor), S);
      const keyMask = this.maskFor(a.mask.hiddenKeys);
      const masks = { bidirectionalBlock: a.mask.bidirectionalBlock, keyMask };
      const lse = a.map ? rec.transient(S * Hq * 4, undefined, 'decoder.lse') : undefined;
      encodeAttention(rec, { q, S, Hq, cache, out, lse, ...masks });
      if (a.map && lse) {
        const m = a.map;
        if (!this.map || this.map.spec.rows !== m.rows || this.map.spec.keys !== m.keys) {
          this.map?.map.destroy();
          this.map = { spec: m, map: createAttentionMap(this.device, m.rows, m.keys) };
          this.map.map.clear(rec);
        }
        encodeAttentionMapAccumulate(rec, {
          q, S, Hq, cache, lse, map: this.map.map, rows: { start: m.rowStart }, keys: { start: m.keyStart },
          weight: 1 / (Hq * layers), ...masks,
        });
      }
    } catch (e) {
      rec.discard();
      throw e;
    }
    rec.submit(); // ordered before post_i's work on the same queue
    return tensorFromGpuBuffer(out, [1, S, Hq * hd]) as unknown as BackendTensor;
  }

  endRun(): void {
    const pool = getBufferPool(this.device);
    for (const b of this.runBuffers) pool.release(b);
    this.runBuffers = [];
  }

  truncate(length: number): void {
    for (const c of this.caches) c.length = Math.min(c.length, length);
  }

  async readMap(perToken: boolean): Promise<AttentionMapResult> {
    if (!this.map) throw new Error('no attention map was accumulated');
    const { map } = this.map;
    this.map = null;
    try {
      const rec = new Recorder(this.device, 'attentionMap.reduce');
      encodeAttentionMapReduce(rec, map);
      rec.submit();
      const heat = await readHeat(this.device, map);
      return perToken ? { heat, perToken: await readAccum(this.device, map) } : { heat };
    } finally {
      map.destroy();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endRun();
    for (const c of this.caches) destroyKvCache(c);
    this.keyMask?.mask.buffer.destroy();
    this.map?.map.destroy();
  }
}

function lostCaches(): DeviceLostError {
  return new DeviceLostError('The GPU device holding the KV caches of the kernel decoder was lost; they cannot be used again.');
}

/** The kernel attention on ORT's device, pipelines compiled up front. */
export async function kernelAttentionFactory(shape: AttentionShape): Promise<LayerAttentionFactory> {
  const device = await getOrtDevice();
  await Promise.all([warmAttention(device, shape.hd), warmAttentionMap(device)]);
  return (capacity) => {
    if (isDeviceLost(device)) throw lostCaches();
    return new GpuLayerAttention(device, shape, capacity);
  };
}
