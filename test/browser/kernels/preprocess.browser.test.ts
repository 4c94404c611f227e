// preprocess.wgsl vs the float64 reference: random source/destination sizes (not multiples of the 8x8
// workgroup), up- and downscaling, crops, both filters, plus a hand-computed box case and identity.
import { beforeAll, describe, expect, it } from 'vitest';
import { FWD2BOT_PREPROCESS, preprocessImage, warmPreprocess, type PreprocessOptions } from '../../../src/kernels/preprocess';
import { preprocessRef } from '../../../src/kernels/preprocess.ref';
import { getBufferPool } from '../../../src/gpu/buffers';
import { KernelShapeError } from '../../../src/kernels/checks';
import { checkClose, expectNoGpuError, randInt, readF32, rng, testDevice } from './util';

function randomImage(seed: number, w: number, h: number): Uint8ClampedArray {
  const r = rng(seed);
  const px = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(r() * 256);
  return px;
}

async function gpuPreprocess(device: GPUDevice, px: Uint8ClampedArray, w: number, h: number, o: PreprocessOptions): Promise<Float32Array> {
  return expectNoGpuError(device, async () => {
    const out = preprocessImage(device, px, w, h, o);
    try {
      return await readF32(device, out, 3 * o.dstW * o.dstH);
    } finally {
      getBufferPool(device).release(out);
    }
  });
}

function expectClose(label: string, gpu: Float32Array, ref: Float64Array) {
  const rep = checkClose(label, gpu, ref, 2e-5, 1e-5);
  expect(rep.ok, `${label}: ${rep.bad} mismatches, first ${rep.first[0]}`).toBe(true);
}

describe('image preprocessing kernel', () => {
  // Compiling asynchronously first turns a WGSL error into a readable rejection.
  beforeAll(async () => { await warmPreprocess(await testDevice()); });

  it('fixed debug case: 8x8 -> 2x2 box = mean of each 4x4 block, (x/255 - 0.5) / 0.5', async () => {
    const device = await testDevice();
    const px = new Uint8ClampedArray(8 * 8 * 4);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const p = (y * 8 + x) * 4;
        px[p] = x < 4 ? 0 : 255; // R: left black, right white
        px[p + 1] = y < 4 ? 51 : 102; // G: top 0.2, bottom 0.4
        px[p + 2] = (x + y) % 2 ? 255 : 0; // B: checkerboard -> 0.5 everywhere
        px[p + 3] = 255;
      }
    }
    const o: PreprocessOptions = { ...FWD2BOT_PREPROCESS, dstW: 2, dstH: 2 };
    const g = await gpuPreprocess(device, px, 8, 8, o);
    expectClose('debug', g, Float64Array.from([-1, 1, -1, 1, /**/ -0.6, -0.6, -0.2, -0.2, /**/ 0, 0, 0, 0]));
  });

  it('same size is the identity (bilinear), channel order R, G, B planes', async () => {
    const device = await testDevice();
    const px = randomImage(1, 9, 5);
    const o: PreprocessOptions = { dstW: 9, dstH: 5, mean: [0, 0, 0], std: [1, 1, 1] };
    const g = await gpuPreprocess(device, px, 9, 5, o);
    const want = new Float64Array(3 * 45);
    for (let i = 0; i < 45; i++) for (let ch = 0; ch < 3; ch++) want[ch * 45 + i] = px[i * 4 + ch] / 255;
    expectClose('identity', g, want);
  });

  it('random sizes, crops, up/downscaling, both filters, random mean/std', async () => {
    const device = await testDevice();
    for (let seed = 1; seed <= 10; seed++) {
      const r = rng(seed * 31);
      const w = randInt(r, 1, 70), h = randInt(r, 1, 70);
      const cx = randInt(r, 0, w - 1), cy = randInt(r, 0, h - 1);
      const crop = seed % 3 === 0 ? { x: cx, y: cy, w: randInt(r, 1, w - cx), h: randInt(r, 1, h - cy) } : undefined;
      const o: PreprocessOptions = {
        dstW: randInt(r, 1, 40), dstH: randInt(r, 1, 40), crop, filter: seed % 2 ? 'box' : 'bilinear',
        mean: [r(), r(), r()], std: [0.2 + r(), 0.2 + r(), 0.2 + r()],
      };
      const px = randomImage(seed, w, h);
      expectClose(`seed ${seed} ${w}x${h} -> ${o.dstW}x${o.dstH} ${o.filter} crop ${JSON.stringify(crop)}`,
        await gpuPreprocess(device, px, w, h, o), preprocessRef(px, w, h, o));
    }
  });

  it('strong downscale (photo-like 203x151 -> 7x5, ~29 taps per axis) and the training setting 256 -> 64 box', async () => {
    const device = await testDevice();
    const px = randomImage(7, 203, 151);
    for (const filter of ['bilinear', 'box'] as const) {
      const o: PreprocessOptions = { dstW: 7, dstH: 5, filter, mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28] };
      expectClose(`203x151 ${filter}`, await gpuPreprocess(device, px, 203, 151, o), preprocessRef(px, 203, 151, o));
    }
    const big = randomImage(8, 256, 256);
    expectClose('256 -> 64 box', await gpuPreprocess(device, big, 256, 256, FWD2BOT_PREPROCESS), preprocessRef(big, 256, 256, FWD2BOT_PREPROCESS));
  });

  it('guards: pixel count, crop bounds, zero std', async () => {
    const device = await testDevice();
    const px = randomImage(1, 4, 4);
    const o: PreprocessOptions = { dstW: 2, dstH: 2, mean: [0, 0, 0], std: [1, 1, 1] };
    expect(() => preprocessImage(device, px, 4, 5, o)).toThrow(KernelShapeError);
    expect(() => preprocessImage(device, px, 4, 4, { ...o, crop: { x: 2, y: 0, w: 3, h: 4 } })).toThrow(KernelShapeError);
    expect(() => preprocessImage(device, px, 4, 4, { ...o, std: [1, 0, 1] })).toThrow(KernelShapeError);
    expect(getBufferPool(device).stats().inUse).toBe(0); // a throwing call leaks nothing
  });
});
