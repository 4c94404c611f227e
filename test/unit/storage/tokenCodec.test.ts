import { describe, expect, test } from 'vitest';
import {
  MAX_K, TOKEN_FORMAT_VERSION, TokenFormatError, decodeTokens, encodeTokens, readTokenHeader,
} from '../../../src/storage/tokenCodec';

function randomBits(n: number, seed = 1): Uint16Array {
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  return out;
}

function expectFormatError(f: () => unknown, problem: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenFormatError);
    expect((e as TokenFormatError).name).toBe('TokenFormatError');
    expect((e as TokenFormatError).problem).toBe(problem);
    expect((e as Error).message).toMatch(/Re-index/);
    return;
  }
  throw new Error(`expected TokenFormatError(${problem}), nothing was thrown`);
}

describe('tokenCodec', () => {
  test('round trip is bit-exact for every bit pattern (NaNs, infinities, subnormals included)', () => {
    const data = randomBits(16 * 96, 7);
    data[0] = 0x7e01; data[1] = 0xfc00; data[2] = 0x0001; data[3] = 0x8000; data[4] = 0x7d55; // NaN payloads too
    const bytes = encodeTokens({ modelId: 'tiny-fwd2bot-v1', K: 16, d: 96, data });
    const t = decodeTokens(bytes, 'tiny-fwd2bot-v1');
    expect(t).toMatchObject({ formatVersion: TOKEN_FORMAT_VERSION, modelId: 'tiny-fwd2bot-v1', K: 16, d: 96 });
    expect(t.data).toEqual(data);
    expect(t.data.buffer).not.toBe(bytes.buffer); // decoded data owns its buffer
    expect(bytes.length % 2).toBe(0);
    expect(bytes.length).toBe(16 + 16 /* "tiny-fwd2bot-v1" is 15 bytes, padded */ + 2 * 16 * 96);
  });

  test('decodes from an ArrayBuffer and from an unaligned view', () => {
    const data = randomBits(4 * 8);
    const bytes = encodeTokens({ modelId: 'm', K: 4, d: 8, data });
    expect(decodeTokens(bytes.slice().buffer).data).toEqual(data);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeTokens(shifted.subarray(1)).data).toEqual(data);
  });

  test('UTF-8 model ids up to 64 bytes; longer or empty rejected', () => {
    const id = 'modèle-ü'.padEnd(30, 'x');
    expect(decodeTokens(encodeTokens({ modelId: id, K: 1, d: 2, data: new Uint16Array(2) })).modelId).toBe(id);
    expectFormatError(() => encodeTokens({ modelId: 'x'.repeat(65), K: 1, d: 1, data: new Uint16Array(1) }), 'bad-model-id');
    expectFormatError(() => encodeTokens({ modelId: '', K: 1, d: 1, data: new Uint16Array(1) }), 'bad-model-id');
    expectFormatError(() => encodeTokens({ modelId: 'm', K: 2, d: 2, data: new Uint16Array(3) }), 'bad-shape');
  });

  test('truncation at every byte boundary throws a clean TokenFormatError', () => {
    const bytes = encodeTokens({ modelId: 'tiny', K: 3, d: 5, data: randomBits(15) });
    for (let n = 0; n < bytes.length; n++) {
      let err: unknown = null;
      try {
        decodeTokens(bytes.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `length ${n}`).toBeInstanceOf(TokenFormatError);
      expect((err as TokenFormatError).problem, `length ${n}`).toBe('truncated');
    }
  });

  test('wrong magic, version, dtype, padding, trailing bytes, model id', () => {
    const good = encodeTokens({ modelId: 'abc', K: 2, d: 2, data: randomBits(4) });
    const mutate = (f: (b: Uint8Array, dv: DataView) => void) => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    expectFormatError(() => decodeTokens(mutate((b) => (b[0] = 0x47))), 'bad-magic');
    expectFormatError(() => decodeTokens(mutate((_, dv) => dv.setUint16(4, 2, true))), 'unsupported-version');
    expectFormatError(() => decodeTokens(mutate((b) => (b[6] = 2))), 'bad-dtype');
    expectFormatError(() => decodeTokens(mutate((b) => (b[7] = 0))), 'bad-model-id');
    expectFormatError(() => decodeTokens(mutate((b) => (b[7] = 65))), 'bad-model-id');
    expectFormatError(() => decodeTokens(mutate((b) => (b[16] = 0xff))), 'bad-model-id'); // invalid UTF-8
    expectFormatError(() => decodeTokens(mutate((b) => (b[20] = 1))), 'bad-padding');
    const longer = new Uint8Array(good.length + 2);
    longer.set(good);
    expectFormatError(() => decodeTokens(longer), 'trailing-bytes');
    expectFormatError(() => decodeTokens(good, 'other-model'), 'bad-model-id');
  });

  test('huge declared shapes are rejected from the 16-byte header, before any allocation', () => {
    const header = encodeTokens({ modelId: 'm', K: 1, d: 1, data: new Uint16Array(1) });
    const dv = new DataView(header.buffer);
    dv.setUint32(8, 0xffffffff, true); // K = 4 billion
    expectFormatError(() => readTokenHeader(header), 'bad-shape');
    dv.setUint32(8, MAX_K, true);
    dv.setUint32(12, 65536, true); // K*d = 2^28 > MAX_TOKEN_ELEMENTS
    expectFormatError(() => decodeTokens(header), 'too-large');
    dv.setUint32(12, 4096, true); // within limits but the bytes are not there: truncated, still no allocation
    expectFormatError(() => decodeTokens(header), 'truncated');
    dv.setUint32(8, 0, true);
    expectFormatError(() => decodeTokens(header), 'bad-shape');
  });
});
