// Half-precision helpers for the kernels' uploads and references (the conversions themselves live in
// src/shared/fp16.ts, round to nearest even). GPU side: an fp16 tensor is raw half bits, two per u32 word,
// element 2i in the low half; WGSL's core unpack2x16float / pack2x16float read and write that without the
// 'shader-f16' feature.

import { f16ArrayToF32, f16BitsToF32, f32ArrayToF16, f32ToF16Bits } from '../shared/fp16';

export { f16BitsToF32, f32ToF16Bits };

/** Float32 values -> half bits. */
export function toF16(x: ArrayLike<number>): Uint16Array {
  return f32ArrayToF16(x);
}

/** Half bits -> Float32 values. */
export function fromF16(h: ArrayLike<number>): Float32Array {
  return f16ArrayToF32(h instanceof Uint16Array ? h : Uint16Array.from(h));
}

/** Round float values through fp16 (what the GPU sees after an fp16 upload). */
export function roundF16(x: ArrayLike<number>): Float32Array {
  return fromF16(toF16(x));
}
