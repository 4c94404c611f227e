import { crc32 as zlibCrc32 } from 'node:zlib';
import { expect, test } from 'vitest';
import { crc32 } from '../../../src/storage/crc32';

test('crc32 matches the standard check value and zlib', () => {
  expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  expect(crc32(new Uint8Array(0))).toBe(0);
  const bytes = new Uint8Array(10_000).map((_, i) => (i * 7919) & 0xff);
  expect(crc32(bytes)).toBe(zlibCrc32(bytes));
  expect(crc32(bytes.subarray(5000), crc32(bytes.subarray(0, 5000)))).toBe(crc32(bytes)); // continuation
});
