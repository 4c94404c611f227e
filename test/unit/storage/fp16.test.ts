import { describe, expect, test } from 'vitest';
import { f16ArrayToF32, f16BitsToF32, f32ArrayToF16, f32ToF16Bits } from '../../../src/shared/fp16';

// Reference fp32 -> fp16: the nearest of all finite fp16 values (ties to the even bit pattern), in float64.
const finite: { v: number; h: number }[] = [];
for (let h = 0; h < 0x7c00; h++) finite.push({ v: f16BitsToF32(h), h });
const MAX_HALF = 65504;
function refToF16(x: number): number {
  const f = Math.fround(x);
  if (Number.isNaN(f)) return 0x7e00;
  const sign = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  const a = Math.abs(f);
  // values at or above max + half an ulp (2^15 * 2^-11 = 16) round to infinity
  if (a >= MAX_HALF + 16) return sign | 0x7c00;
  let lo = 0, hi = finite.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (finite[mid].v <= a) lo = mid; else hi = mid - 1;
  }
  const below = finite[lo];
  const above = finite[Math.min(lo + 1, finite.length - 1)];
  const db = a - below.v, da = above.v - a;
  const pick = db < da ? below : da < db ? above : (below.h & 1) === 0 ? below : above;
  return sign | pick.h;
}

describe('fp16', () => {
  test('every non-NaN fp16 bit pattern survives fp16 -> fp32 -> fp16', () => {
    let checked = 0;
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) {
        if (!Number.isNaN(f16BitsToF32(f32ToF16Bits(v)))) bad.push(h);
        continue;
      }
      if (f32ToF16Bits(v) !== h) bad.push(h);
      checked++;
    }
    expect(bad).toEqual([]);
    expect(checked).toBe(65536 - 2 * 1023); // all but the NaN patterns
  });

  test('known values', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(-1e6)).toBe(0xfc00);
    expect(f32ToF16Bits(65519)).toBe(0x7bff); // just below the rounding threshold to Inf
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // the threshold itself rounds (to even) to Inf
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // exactly half the smallest subnormal: ties to even (0)
    expect(f32ToF16Bits(2 ** -25 * 1.0001)).toBe(1);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1+2^-10: even is 1
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02: even
  });

  test('fp32 -> fp16 rounds to nearest even like a float64 reference (random values over all exponents)', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const bits = new Uint32Array(1);
    const asF = new Float32Array(bits.buffer);
    const mismatches: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      // random fp32 bit patterns with exponents around the fp16 range (2^-30 .. 2^17)
      const exp = 97 + Math.floor(rand() * 48);
      bits[0] = ((rand() < 0.5 ? 1 : 0) << 31) | (exp << 23) | Math.floor(rand() * 0x800000);
      const x = asF[0];
      const got = f32ToF16Bits(x), want = refToF16(x);
      if (got !== want && mismatches.length < 5) mismatches.push(`${x}: got ${got.toString(16)} want ${want.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });

  test('array helpers match the scalar ones and check lengths', () => {
    const src = new Float32Array([0, 1.5, -3.25, 1e-5, 70000, NaN]);
    const h = f32ArrayToF16(src);
    expect(Array.from(h)).toEqual(Array.from(src, (x) => f32ToF16Bits(x)));
    const back = f16ArrayToF32(h);
    expect(Array.from(back.slice(0, 3))).toEqual([0, 1.5, -3.25]);
    expect(back[4]).toBe(Infinity);
    expect(Number.isNaN(back[5])).toBe(true);
    expect(() => f16ArrayToF32(h, new Float32Array(2))).toThrow(RangeError);
  });
});
