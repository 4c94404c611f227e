// Image preprocessing on the GPU (see preprocess.wgsl): RGBA8 pixels -> (3, H, W) fp32 planar,
// normalised, in a GPUBuffer the vision-encoder session can take directly (tensorFromGpuBuffer).
// CPU equivalent: preprocess.ref.ts (same math in float64). Which path wins is measured in
// bench/kernels.bench.browser.ts.

import wgsl from './preprocess.wgsl?raw';
import { getPipeline, packUniforms, uniformLayout, warmPipeline, type PipelineSpec } from '../gpu/pipelines';
import { Recorder, STORAGE_RW, getBufferPool } from '../gpu/buffers';
import { checkBindingBytes, checkInt, checkShape, checkStorageBinding, checkWorkgroups } from './checks';

const layout = uniformLayout(wgsl);
const spec = (entryPoint: 'horizontal' | 'vertical'): PipelineSpec => ({ label: `preprocess/${entryPoint}`, code: wgsl, entryPoint });

/** The WGSL `Params` struct of preprocess.wgsl. */
export interface PreprocessParams {
  srcW: number; srcH: number; cropX: number; cropY: number; cropW: number; cropH: number; dstW: number; dstH: number;
  filterKind: number; mean0: number; mean1: number; mean2: number; invStd0: number; invStd1: number; invStd2: number;
}

export type ResizeFilter = 'bilinear' | 'box';

export interface PreprocessOptions {
  dstW: number;
  dstH: number;
  /** Source rectangle to resize (default: the whole image), e.g. a centre crop. */
  crop?: { x: number; y: number; w: number; h: number };
  /** 'bilinear' (antialiased when downscaling, PIL's BILINEAR) or 'box' (area average). Default 'bilinear'. */
  filter?: ResizeFilter;
  /** Per-channel mean and std on the [0, 1] scale; out = (pixel / 255 - mean) / std. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** The training pipeline's settings (python/fwd2bot/data.py: 64x64, box resize, mean = std = 0.5). */
export const FWD2BOT_PREPROCESS: PreprocessOptions = { dstW: 64, dstH: 64, filter: 'box', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

export interface PreprocessArgs extends PreprocessOptions {
  src: GPUBuffer; // (srcH, srcW) RGBA8 as u32, R in the low byte (ImageData.data bytes as they are)
  srcW: number;
  srcH: number;
  out: GPUBuffer; // (3, dstH, dstW) f32
}

export function preprocessParams(device: GPUDevice, a: PreprocessArgs): PreprocessParams {
  checkInt('srcW', a.srcW, 1);
  checkInt('srcH', a.srcH, 1);
  checkInt('dstW', a.dstW, 1);
  checkInt('dstH', a.dstH, 1);
  const c = a.crop ?? { x: 0, y: 0, w: a.srcW, h: a.srcH };
  checkInt('crop.x', c.x, 0, a.srcW - 1);
  checkInt('crop.y', c.y, 0, a.srcH - 1);
  checkInt('crop.w', c.w, 1, a.srcW - c.x);
  checkInt('crop.h', c.h, 1, a.srcH - c.y);
  for (let i = 0; i < 3; i++) {
    checkShape(Number.isFinite(a.mean[i]) && Number.isFinite(a.std[i]) && a.std[i] !== 0, `mean/std channel ${i}: ${a.mean[i]} / ${a.std[i]}`);
  }
  checkStorageBinding(device, 'src', a.src, a.srcW * a.srcH * 4);
  checkStorageBinding(device, 'out', a.out, 3 * a.dstW * a.dstH * 4);
  checkBindingBytes(device, 'preprocess.tmp (crop height x dstW x 4 channels)', c.h * a.dstW * 16);
  checkWorkgroups(device, 'preprocess.horizontal', Math.ceil(a.dstW / 8), Math.ceil(c.h / 8));
  checkWorkgroups(device, 'preprocess.vertical', Math.ceil(a.dstW / 8), Math.ceil(a.dstH / 8));
  return {
    srcW: a.srcW, srcH: a.srcH, cropX: c.x, cropY: c.y, cropW: c.w, cropH: c.h, dstW: a.dstW, dstH: a.dstH,
    filterKind: (a.filter ?? 'bilinear') === 'box' ? 1 : 0,
    mean0: a.mean[0], mean1: a.mean[1], mean2: a.mean[2],
    invStd0: 1 / a.std[0], invStd1: 1 / a.std[1], invStd2: 1 / a.std[2],
  };
}

export function encodePreprocess(rec: Recorder, a: PreprocessArgs): void {
  const device = rec.device;
  const p = preprocessParams(device, a);
  const tmpBytes = p.cropH * p.dstW * 16;
  const tmp = rec.transient(tmpBytes, STORAGE_RW, 'preprocess.tmp');
  const uni = rec.uniform(packUniforms(layout, p));
  rec.dispatch(getPipeline(device, spec('horizontal')), [
    { binding: 0, resource: { buffer: uni } },
    { binding: 1, resource: { buffer: a.src, size: a.srcW * a.srcH * 4 } },
    { binding: 2, resource: { buffer: tmp, size: tmpBytes } },
  ], Math.ceil(p.dstW / 8), Math.ceil(p.cropH / 8), 1, 'preprocess.horizontal');
  rec.dispatch(getPipeline(device, spec('vertical')), [
    { binding: 0, resource: { buffer: uni } },
    { binding: 2, resource: { buffer: tmp, size: tmpBytes } },
    { binding: 3, resource: { buffer: a.out, size: 3 * p.dstW * p.dstH * 4 } },
  ], Math.ceil(p.dstW / 8), Math.ceil(p.dstH / 8), 1, 'preprocess.vertical');
}

/**
 * Upload RGBA8 pixels (ImageData.data) and preprocess them. Returns a pooled (3, dstH, dstW) f32 buffer
 * with ORT-compatible usage; hand it back with getBufferPool(device).release(buffer) after the encoder run.
 */
export function preprocessImage(device: GPUDevice, rgba: Uint8Array | Uint8ClampedArray, srcW: number, srcH: number, o: PreprocessOptions): GPUBuffer {
  checkShape(rgba.length === srcW * srcH * 4, `rgba has ${rgba.length} bytes, ${srcW}x${srcH} RGBA needs ${srcW * srcH * 4}`);
  const pool = getBufferPool(device);
  const out = pool.acquire(3 * o.dstW * o.dstH * 4, STORAGE_RW, 'preprocess.out');
  const rec = new Recorder(device, 'preprocess');
  const src = rec.transient(rgba.byteLength, STORAGE_RW, 'preprocess.src');
  device.queue.writeBuffer(src, 0, rgba.buffer, rgba.byteOffset, rgba.byteLength);
  try {
    encodePreprocess(rec, { ...o, src, srcW, srcH, out });
  } catch (e) {
    rec.discard();
    pool.release(out);
    throw e;
  }
  rec.submit();
  return out;
}

export async function warmPreprocess(device: GPUDevice): Promise<void> {
  await Promise.all([warmPipeline(device, spec('horizontal')), warmPipeline(device, spec('vertical'))]);
}
