// IEEE 754 binary16 ("fp16", "half") <-> binary32 conversion on raw bits.
// Pure: no browser or Node APIs, so the Node CLI and the engine share it with the browser.
//
// Stored tokens and embeddings are fp16 kept as their raw bit patterns in a Uint16Array; these helpers are
// the only place that interprets those bits. fp32 -> fp16 rounds to nearest, ties to even (the same as
// numpy's astype(float16) and torch's .half()), overflows to +-Infinity, and keeps NaN a NaN.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One fp32 value (a JS number, first rounded to fp32) -> fp16 bits (0..0xffff). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // NaN (quiet) / Inf
  const e = exp - 127 + 15; // rebiased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // fp16 subnormal (or zero): value = m * 2^-24 with m = full >> (14 - e)
    if (e < -10) return sign; // below half the smallest subnormal: +-0
    mant |= 0x800000;
    const shift = 14 - e; // 14..24
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry into the exponent is still correct
  return sign | h;
}

/** fp16 bits -> the exact fp32 value (as a JS number). */
export function f16BitsToF32(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m !== 0 ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

let table: Float32Array | null = null; // (65536,) fp32: the value of every fp16 bit pattern
function f16Table(): Float32Array {
  if (table === null) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32(h);
  }
  return table;
}

/** fp32 array -> fp16 bits, element-wise. `out` may be passed to avoid an allocation. */
export function f32ArrayToF16(src: ArrayLike<number>, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  if (out.length !== src.length) throw new RangeError(`f32ArrayToF16: out has ${out.length} elements, src has ${src.length}`);
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16Bits(src[i]);
  return out;
}

/** fp16 bits -> fp32 array, element-wise (table lookup). */
export function f16ArrayToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  if (out.length !== src.length) throw new RangeError(`f16ArrayToF32: out has ${out.length} elements, src has ${src.length}`);
  const t = f16Table();
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
  return out;
}
