// The CPU preprocessing reference (src/model/image.ts) against PIL itself (fixtures/pil-box.json, written by
// fixtures/make_pil_box.py with the trainer's Pillow) and against a float64 exact-area-average reference.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  applyOrientation, boxResize, compositeOnWhite, normalizeToNchw, preprocessImage, type Orientation, type RgbImage,
} from '../../../src/model/image';

interface PilCase { src: [number, number]; dst: [number, number]; rgba: boolean; pixels: string; composited: string; expected: string }
const pil = JSON.parse(readFileSync(new URL('./fixtures/pil-box.json', import.meta.url), 'utf8')) as { pillow: string; cases: PilCase[] };
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

function rgbOf(c: PilCase): RgbImage {
  const [w, h] = c.src;
  const px = b64(c.pixels);
  if (c.rgba) return compositeOnWhite({ width: w, height: h, data: px });
  return { width: w, height: h, data: px };
}

/** Float64 exact area average: each output pixel = integral of the piecewise-constant image over its footprint. */
function areaAverage(img: RgbImage, dw: number, dh: number): Float64Array {
  const sx = img.width / dw, sy = img.height / dh;
  const out = new Float64Array(dw * dh * 3);
  for (let oy = 0; oy < dh; oy++) {
    for (let ox = 0; ox < dw; ox++) {
      const x0 = ox * sx, x1 = (ox + 1) * sx, y0 = oy * sy, y1 = (oy + 1) * sy;
      const acc = [0, 0, 0];
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          for (let c = 0; c < 3; c++) acc[c] += wx * wy * img.data[(y * img.width + x) * 3 + c];
        }
      }
      for (let c = 0; c < 3; c++) out[(oy * dw + ox) * 3 + c] = acc[c] / (sx * sy);
    }
  }
  return out;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe(`box resize = PIL Image.BOX (fixture from Pillow ${pil.pillow})`, () => {
  test.each(pil.cases.map((c) => [`${c.src.join('x')} -> ${c.dst.join('x')}${c.rgba ? ' RGBA' : ''}`, c] as const))('%s is bit-exact', (_, c) => {
    const rgb = rgbOf(c);
    if (c.rgba) expect([...rgb.data]).toEqual([...b64(c.composited)]); // alpha composite on white, PIL's integer formula
    const out = boxResize(rgb, c.dst[0], c.dst[1]);
    expect([out.width, out.height]).toEqual(c.dst);
    const want = b64(c.expected);
    const bad = [...out.data].flatMap((v, i) => (v !== want[i] ? [`#${i}: ${v} != ${want[i]}`] : []));
    expect(bad.slice(0, 5)).toEqual([]);
  });
});

describe('box resize against the float64 exact area average', () => {
  test('integer ratios (random sizes): within 1 step of 8 bits (PIL rounds after each pass)', () => {
    const rand = seeded(7);
    for (let trial = 0; trial < 25; trial++) {
      const dw = 1 + Math.floor(rand() * 9), dh = 1 + Math.floor(rand() * 9);
      const fx = 1 + Math.floor(rand() * 6), fy = 1 + Math.floor(rand() * 6);
      const img: RgbImage = { width: dw * fx, height: dh * fy, data: Uint8Array.from({ length: dw * fx * dh * fy * 3 }, () => Math.floor(rand() * 256)) };
      const ref = areaAverage(img, dw, dh);
      const out = boxResize(img, dw, dh);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - ref[i]));
      expect(worst, `${img.width}x${img.height} -> ${dw}x${dh}`).toBeLessThanOrEqual(1);
    }
  });

  test('non-integer downscales (random sizes): close to the area average, never outside the input range', () => {
    // PIL's BOX samples a box of width `scale` at input pixel centres, so at fractional ratios it may give an
    // edge pixel full weight where the area average gives part of it: the error shrinks as the ratio grows.
    const rand = seeded(11);
    for (let trial = 0; trial < 25; trial++) {
      const dw = 2 + Math.floor(rand() * 6), dh = 2 + Math.floor(rand() * 6);
      const w = dw * 3 + 1 + Math.floor(rand() * dw * 5), h = dh * 3 + 1 + Math.floor(rand() * dh * 5);
      // a smooth image (a gradient plus mild noise): one edge pixel can only move the average a little
      const data = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
        data[(y * w + x) * 3 + c] = Math.min(255, Math.round((200 * x) / w + (50 * y) / h + rand() * 4));
      }
      const img: RgbImage = { width: w, height: h, data };
      const ref = areaAverage(img, dw, dh);
      const out = boxResize(img, dw, dh);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - ref[i]));
      // one input column/row of a gradient differs from its neighbours by ~200/w; the footprint shifts by < 1 pixel
      // the gradient changes by 200/w + 50/h per pixel, the noise by up to 4, plus rounding
      expect(worst, `${w}x${h} -> ${dw}x${dh}`).toBeLessThanOrEqual(200 / w + 50 / h + 4 + 1);
    }
  });

  test('upscaling copies the nearest input pixel (PIL BOX upscales by pixel replication)', () => {
    const img: RgbImage = { width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 200, 210, 220]) };
    const out = boxResize(img, 4, 2);
    expect([...out.data]).toEqual([10, 20, 30, 10, 20, 30, 200, 210, 220, 200, 210, 220, 10, 20, 30, 10, 20, 30, 200, 210, 220, 200, 210, 220]);
  });

  test('same size is a copy', () => {
    const img: RgbImage = { width: 2, height: 2, data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) };
    const out = boxResize(img, 2, 2);
    expect([...out.data]).toEqual([...img.data]);
    expect(out.data).not.toBe(img.data);
  });
});

describe('EXIF orientation', () => {
  // A 3 x 2 image whose pixels are numbered 0..5 row by row (value in the red channel).
  //   0 1 2
  //   3 4 5
  const img: RgbImage = { width: 3, height: 2, data: Uint8Array.from([0, 1, 2, 3, 4, 5].flatMap((v) => [v, 0, 0])) };
  const grid = (o: RgbImage) => Array.from({ length: o.height }, (_, y) => Array.from({ length: o.width }, (_, x) => o.data[(y * o.width + x) * 3]));
  test.each<[Orientation, number[][]]>([
    [1, [[0, 1, 2], [3, 4, 5]]],
    [2, [[2, 1, 0], [5, 4, 3]]], // mirrored
    [3, [[5, 4, 3], [2, 1, 0]]], // rotated 180
    [4, [[3, 4, 5], [0, 1, 2]]], // flipped vertically
    [5, [[0, 3], [1, 4], [2, 5]]], // transposed
    [6, [[3, 0], [4, 1], [5, 2]]], // stored rotated: display rotates 90 degrees clockwise
    [7, [[5, 2], [4, 1], [3, 0]]], // transverse
    [8, [[2, 5], [1, 4], [0, 3]]], // display rotates 90 degrees counter-clockwise
  ])('orientation %i', (o, want) => {
    expect(grid(applyOrientation(img, o))).toEqual(want);
  });
});

describe('normalisation and the whole pipeline', () => {
  test('values are fp32 (v/255 - mean)/std in NCHW planes', () => {
    const img: RgbImage = { width: 2, height: 1, data: Uint8Array.from([0, 128, 255, 51, 102, 204]) };
    const x = normalizeToNchw(img, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    // plane R = [0, 51], G = [128, 102], B = [255, 204]
    const f = (v: number) => Math.fround(Math.fround(Math.fround(v / 255) - 0.5) / 0.5);
    expect([...x]).toEqual([f(0), f(51), f(128), f(102), f(255), f(204)]);
    expect(x[0]).toBe(-1);
    expect(x[4]).toBe(1);
  });

  test('preprocessImage composes composite -> orientation -> resize -> normalise', () => {
    // 4 x 2 RGBA: left half opaque black, right half transparent (-> white); orientation 6 makes it 2 x 4.
    const rgba = new Uint8Array(4 * 2 * 4);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) rgba.set(x < 2 ? [0, 0, 0, 255] : [9, 9, 9, 0], (y * 4 + x) * 4);
    const x = preprocessImage({ width: 4, height: 2, data: rgba }, { size: [2, 1], mean: [0, 0, 0], std: [1, 1, 1] }, 6);
    // upright: 2 wide x 4 high, top half black (was left), bottom half white; resized to 1 x 2
    expect(x.length).toBe(3 * 2 * 1);
    expect([...x.slice(0, 2)]).toEqual([0, 1]);
  });

  test('wrong buffer sizes are refused', () => {
    expect(() => boxResize({ width: 2, height: 2, data: new Uint8Array(11) }, 1, 1)).toThrow(RangeError);
    expect(() => compositeOnWhite({ width: 0, height: 2, data: new Uint8Array(0) })).toThrow(RangeError);
  });
});
