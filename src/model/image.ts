// CPU reference of the image preprocessing in manifest.preprocessing, bit-exact with the trainer's
// (python/fwd2bot/export.py load_png_pixels: PIL alpha_composite on white -> RGB -> resize(BOX) -> /255,
// -mean, /std). Pure: no DOM, no Node; decoding lives in src/engine/imageDecode.ts (browser) and
// cli/png.ts (Node), which hand over RGBA8 pixels.
//
//   RGBA8 (H, W, 4) -> composite on white (PIL's integer formula) -> EXIF orientation -> RGB8 (H', W', 3)
//   -> box resize to (h, w) with PIL's 8-bit fixed-point two-pass algorithm -> Float32Array (1, 3, h, w)
//
// About "box": PIL's BOX filter evaluates a box of width `scale` at input pixel centres. For integer ratios
// (the 256 -> 64 sample photos) that is exactly the area average; for non-integer ratios it differs from the
// exact area average by up to a fraction of one input pixel per edge, and it rounds to 8 bits after each
// pass. We follow PIL, because that is what the model was trained and checked with.

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray; // (height, width, 4) RGBA8, not premultiplied
}

export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array; // (height, width, 3) RGB8
}

export interface PreprocessSpec {
  size: readonly [number, number]; // [height, width]
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** EXIF orientation 1..8 (1 = as stored). */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

function checkImage(width: number, height: number, length: number, channels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size ${width} x ${height} must be positive integers`);
  }
  if (length !== width * height * channels) {
    throw new RangeError(`image of ${width} x ${height} x ${channels} needs ${width * height * channels} bytes, got ${length}`);
  }
}

/**
 * RGBA -> RGB over an opaque white background, with PIL's Image.alpha_composite integer arithmetic
 * (7 extra bits, rounded division by 255), so semi-transparent pixels match the trainer exactly.
 */
export function compositeOnWhite(img: RgbaImage): RgbImage {
  checkImage(img.width, img.height, img.data.length, 4);
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3); // (H, W, 3)
  const src = img.data;
  const div255 = (a: number) => (((a >>> 8) + a) >>> 8); // PIL's SHIFTFORDIV255
  for (let i = 0; i < n; i++) {
    const a = src[4 * i + 3];
    if (a === 0) { out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = 255; continue; }
    // dst = white, dst.a = 255: outa255 = 255*255, coef1 = a * 128, coef2 = (255 - a) * 128
    const coef1 = Math.floor((a * 255 * 255 * 128) / (a * 255 + 255 * (255 - a)));
    const coef2 = 255 * 128 - coef1;
    for (let c = 0; c < 3; c++) {
      const t = src[4 * i + c] * coef1 + 255 * coef2;
      out[3 * i + c] = div255(t + (0x80 << 7)) >>> 7;
    }
  }
  return { width: img.width, height: img.height, data: out };
}

/** Applies EXIF orientation so the image is upright (6 = rotate 90 degrees clockwise, 8 = counter-clockwise). */
export function applyOrientation(img: RgbImage, orientation: Orientation): RgbImage {
  if (orientation === 1) return img;
  const { width: W, height: H, data } = img;
  const swap = orientation >= 5;
  const w = swap ? H : W, h = swap ? W : H;
  const out = new Uint8Array(data.length); // (h, w, 3)
  // For each output (x, y): the input pixel it shows.
  const from: Record<Exclude<Orientation, 1>, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [W - 1 - x, y],
    3: (x, y) => [W - 1 - x, H - 1 - y],
    4: (x, y) => [x, H - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, H - 1 - x],
    7: (x, y) => [W - 1 - y, H - 1 - x],
    8: (x, y) => [W - 1 - y, x],
  };
  const f = from[orientation];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sx, sy] = f(x, y);
      const s = (sy * W + sx) * 3, o = (y * w + x) * 3;
      out[o] = data[s]; out[o + 1] = data[s + 1]; out[o + 2] = data[s + 2];
    }
  }
  return { width: w, height: h, data: out };
}

const PRECISION_BITS = 22; // PIL: 32 - 8 - 2

/** PIL's precompute_coeffs for the BOX filter + normalize_coeffs_8bpc: fixed-point taps per output. */
export function boxCoefficients(inSize: number, outSize: number): { ksize: number; bounds: Int32Array; kk: Int32Array } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 0.5 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2); // (outSize, 2): first input, tap count
  const kk = new Int32Array(outSize * ksize); // (outSize, ksize) weights * 2^22
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const arg = (x + xmin - center + 0.5) * ss;
      w[x] = arg > -0.5 && arg <= 0.5 ? 1 : 0;
      ww += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x] / ww : w[x];
      kk[xx * ksize + x] = Math.trunc(0.5 + k * (1 << PRECISION_BITS)); // weights are never negative
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

/** PIL Image.resize((w, h), Image.BOX) of an 8-bit RGB image: horizontal pass, then vertical, 8-bit each. */
export function boxResize(img: RgbImage, dstW: number, dstH: number): RgbImage {
  checkImage(img.width, img.height, img.data.length, 3);
  checkImage(dstW, dstH, dstW * dstH * 3, 3);
  let cur = img;
  if (dstW !== img.width) {
    const { ksize, bounds, kk } = boxCoefficients(img.width, dstW);
    const out = new Uint8Array(img.height * dstW * 3); // (H, dstW, 3)
    for (let y = 0; y < img.height; y++) {
      const row = y * img.width * 3;
      for (let xx = 0; xx < dstW; xx++) {
        const xmin = bounds[2 * xx], n = bounds[2 * xx + 1], k = xx * ksize;
        let r = 1 << (PRECISION_BITS - 1), g = r, b = r;
        for (let x = 0; x < n; x++) {
          const p = row + (xmin + x) * 3, wk = kk[k + x];
          r += img.data[p] * wk; g += img.data[p + 1] * wk; b += img.data[p + 2] * wk;
        }
        const o = (y * dstW + xx) * 3;
        out[o] = clip8(r); out[o + 1] = clip8(g); out[o + 2] = clip8(b);
      }
    }
    cur = { width: dstW, height: img.height, data: out };
  }
  if (dstH !== img.height) {
    const { ksize, bounds, kk } = boxCoefficients(img.height, dstH);
    const out = new Uint8Array(dstH * dstW * 3); // (dstH, dstW, 3)
    for (let yy = 0; yy < dstH; yy++) {
      const ymin = bounds[2 * yy], n = bounds[2 * yy + 1], k = yy * ksize;
      for (let x = 0; x < dstW; x++) {
        let r = 1 << (PRECISION_BITS - 1), g = r, b = r;
        for (let y = 0; y < n; y++) {
          const p = ((ymin + y) * dstW + x) * 3, wk = kk[k + y];
          r += cur.data[p] * wk; g += cur.data[p + 1] * wk; b += cur.data[p + 2] * wk;
        }
        const o = (yy * dstW + x) * 3;
        out[o] = clip8(r); out[o + 1] = clip8(g); out[o + 2] = clip8(b);
      }
    }
    cur = { width: dstW, height: dstH, data: out };
  }
  return cur === img ? { ...img, data: img.data.slice() } : cur;
}

/** RGB8 (h, w, 3) -> Float32Array (1, 3, h, w): fp32 (rgb / 255 - mean) / std, rounded like torch's fp32 ops. */
export function normalizeToNchw(img: RgbImage, mean: readonly number[], std: readonly number[]): Float32Array {
  const { width: w, height: h, data } = img;
  const plane = w * h;
  const out = new Float32Array(3 * plane); // (1, 3, h, w)
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const m = f(mean[c]), s = f(std[c]);
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = f(f(f(v / 255) - m) / s);
    for (let i = 0; i < plane; i++) out[c * plane + i] = lut[data[3 * i + c]];
  }
  return out;
}

/** The whole preprocessing: decoded RGBA8 -> pixel_values (1, 3, H, W) float32 for vision.onnx. */
export function preprocessImage(img: RgbaImage, spec: PreprocessSpec, orientation: Orientation = 1): Float32Array {
  const upright = applyOrientation(compositeOnWhite(img), orientation);
  const [h, w] = spec.size;
  return normalizeToNchw(boxResize(upright, w, h), spec.mean, spec.std);
}
