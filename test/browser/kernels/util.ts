// Shared helpers for the kernel tests: a WebGPU device, a seeded RNG, llm.c-style random data and a
// tolerance check that prints the first mismatches.

import { readBuffer, createBufferFrom } from '../../../src/gpu/buffers';

let devicePromise: Promise<GPUDevice> | undefined;

/**
 * A device from navigator.gpu with default limits (the strictest a real adapter gives; ORT's device has
 * at least these). Kernels only take a GPUDevice, so the engine passes ORT's device in the same place.
 */
export function testDevice(): Promise<GPUDevice> {
  devicePromise ??= (async () => {
    if (!navigator.gpu) throw new Error('navigator.gpu missing: run Chromium with --enable-unsafe-webgpu');
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('shader-f16') ? ['shader-f16'] : [];
    const device = await adapter.requestDevice({ requiredFeatures });
    device.addEventListener('uncapturederror', (e) => console.error('WebGPU uncaptured error:', (e as GPUUncapturedErrorEvent).error.message));
    return device;
  })();
  return devicePromise;
}

/** Run `fn`, then fail with the device's validation/out-of-memory/internal message if any occurred. */
export async function expectNoGpuError<T>(device: GPUDevice, fn: () => T | Promise<T>): Promise<T> {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const r = await fn();
  const errs = [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()].filter((e) => e);
  if (errs.length) throw new Error(`GPU error: ${errs.map((e) => e!.message).join(' | ')}`);
  return r;
}

/** mulberry32: small, seeded, reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** Uniform in [-1, 1); llm.c habit: some positions multiplied by `outlier` so softmax is not flat. */
export function randn(r: () => number, n: number, outlierFrac = 0, outlier = 20): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = r() * 2 - 1;
    if (outlierFrac > 0 && r() < outlierFrac) x[i] *= outlier;
  }
  return x;
}

export interface CloseReport { ok: boolean; maxAbs: number; maxRel: number; bad: number; first: string[] }

/** |gpu - ref| <= atol + rtol * |ref| elementwise; logs the first mismatches. */
export function checkClose(label: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number, show = 8): CloseReport {
  if (gpu.length !== ref.length) throw new Error(`${label}: length ${gpu.length} vs ref ${ref.length}`);
  let maxAbs = 0, maxRel = 0, bad = 0;
  const first: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(gpu[i] - ref[i]);
    if (!(d <= atol + rtol * Math.abs(ref[i]))) {
      bad++;
      if (first.length < show) first.push(`[${i}] gpu ${gpu[i]} ref ${ref[i]} diff ${d.toExponential(2)}`);
    }
    if (Number.isFinite(d)) { maxAbs = Math.max(maxAbs, d); maxRel = Math.max(maxRel, d / Math.max(1e-12, Math.abs(ref[i]))); }
  }
  if (bad) console.error(`${label}: ${bad}/${ref.length} mismatches (atol ${atol}, rtol ${rtol}); first:\n  ${first.join('\n  ')}`);
  return { ok: bad === 0, maxAbs, maxRel, bad, first };
}

export async function readF32(device: GPUDevice, buf: GPUBuffer, n: number, offset = 0): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, buf, n * 4, offset));
}

export async function readU16(device: GPUDevice, buf: GPUBuffer, n: number): Promise<Uint16Array> {
  const bytes = Math.ceil((n * 2) / 4) * 4;
  return new Uint16Array(await readBuffer(device, buf, bytes), 0, n);
}

export const upload = createBufferFrom;
