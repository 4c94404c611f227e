import { expect, test } from 'vitest';
import { meanEmbedding } from '../../../src/storage/embedding';
import { f16ArrayToF32, f32ArrayToF16 } from '../../../src/shared/fp16';

test('meanEmbedding is the L2-normalised mean over K, in fp16', () => {
  // K=2, d=3: rows (1, 2, 2) and (3, 2, 2) -> mean (2, 2, 2) -> /sqrt(12)
  const tokens = f32ArrayToF16([1, 2, 2, 3, 2, 2]);
  const e = f16ArrayToF32(meanEmbedding(tokens, 2, 3));
  for (const v of e) expect(v).toBeCloseTo(1 / Math.sqrt(3), 3);
  const norm = Math.hypot(...e);
  expect(norm).toBeCloseTo(1, 3);
});

test('meanEmbedding of zeros stays zero and checks the shape', () => {
  expect(Array.from(meanEmbedding(new Uint16Array(8), 2, 4))).toEqual([0, 0, 0, 0]);
  expect(() => meanEmbedding(new Uint16Array(7), 2, 4)).toThrow(RangeError);
});
