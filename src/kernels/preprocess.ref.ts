// Float64 reference (and CPU path) for preprocess.wgsl: PIL-style separable resize with the filter
// stretched when downscaling, then per-channel normalisation into (3, dstH, dstW) planar.
import type { PreprocessOptions } from './preprocess';

/** Resampling taps along one axis: for output o, weights[o] over inputs first[o] .. first[o] + len - 1. */
export function resampleCoefficients(inSize: number, outSize: number, filter: 'bilinear' | 'box'): { first: Int32Array; weights: Float64Array[] } {
  const scale = inSize / outSize;
  const fscale = Math.max(scale, 1);
  const support = (filter === 'box' ? 0.5 : 1) * fscale;
  // The filter argument x = (i - center + 0.5) / fscale equals num / (2 lim) exactly, with integers
  // num = out*(2i+1) - in*(2o+1) and lim = max(in, out): box edges (x = +-0.5) are decided exactly.
  const lim = Math.max(inSize, outSize);
  const f = filter === 'box'
    ? (num: number) => (num > -lim && num <= lim ? 1 : 0)
    : (num: number) => Math.max(0, 1 - Math.abs(num) / (2 * lim));
  const first = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // PIL's bounds, widened by one: rounding of center +- support must not drop an edge tap.
    const lo = Math.max(Math.trunc(center - support + 0.5) - 1, 0);
    const hi = Math.min(Math.trunc(center + support + 0.5) + 1, inSize);
    const w = new Float64Array(Math.max(0, hi - lo));
    let sum = 0;
    for (let i = lo; i < hi; i++) { w[i - lo] = f(outSize * (2 * i + 1) - inSize * (2 * o + 1)); sum += w[i - lo]; }
    if (sum !== 0) for (let i = 0; i < w.length; i++) w[i] /= sum;
    first[o] = lo;
    weights.push(w);
  }
  return { first, weights };
}

/** rgba (srcH, srcW, 4) bytes -> (3, dstH, dstW) float64, same math as preprocess.wgsl. */
export function preprocessRef(rgba: ArrayLike<number>, srcW: number, srcH: number, o: PreprocessOptions): Float64Array {
  const c = o.crop ?? { x: 0, y: 0, w: srcW, h: srcH };
  const filter = o.filter ?? 'bilinear';
  const { dstW, dstH } = o;
  const hx = resampleCoefficients(c.w, dstW, filter);
  const vy = resampleCoefficients(c.h, dstH, filter);
  // Horizontal pass over the crop's rows: tmp (c.h, dstW, 3) in [0, 1].
  const tmp = new Float64Array(c.h * dstW * 3);
  for (let y = 0; y < c.h; y++) {
    const row = ((c.y + y) * srcW + c.x) * 4;
    for (let ox = 0; ox < dstW; ox++) {
      const w = hx.weights[ox], lo = hx.first[ox];
      let r = 0, g = 0, b = 0;
      for (let n = 0; n < w.length; n++) {
        const p = row + (lo + n) * 4;
        r += w[n] * rgba[p]; g += w[n] * rgba[p + 1]; b += w[n] * rgba[p + 2];
      }
      const t = (y * dstW + ox) * 3;
      tmp[t] = r / 255; tmp[t + 1] = g / 255; tmp[t + 2] = b / 255;
    }
  }
  // Vertical pass and normalisation.
  const out = new Float64Array(3 * dstH * dstW);
  const plane = dstH * dstW;
  for (let oy = 0; oy < dstH; oy++) {
    const w = vy.weights[oy], lo = vy.first[oy];
    for (let ox = 0; ox < dstW; ox++) {
      let r = 0, g = 0, b = 0;
      for (let n = 0; n < w.length; n++) {
        const t = ((lo + n) * dstW + ox) * 3;
        r += w[n] * tmp[t]; g += w[n] * tmp[t + 1]; b += w[n] * tmp[t + 2];
      }
      const i = oy * dstW + ox;
      out[i] = (r - o.mean[0]) / o.std[0];
      out[plane + i] = (g - o.mean[1]) / o.std[1];
      out[2 * plane + i] = (b - o.mean[2]) / o.std[2];
    }
  }
  return out;
}
