// The CLI's PNG decoder against PIL (fixtures/png-modes.json from make_png_modes.py): after compositing on
// white, every colour type gives the RGB the trainer's reference path gives. Plus Adam7, eXIf orientation,
// damaged files and the encoder's round trip.
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { decodePng, encodePng, isPng, pngChunk } from '../../../cli/png';
import { ImageDecodeError } from '../../../src/model/errors';
import { compositeOnWhite } from '../../../src/model/image';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/png-modes.json', import.meta.url), 'utf8')) as { cases: { name: string; png: string; rgb: string; size: [number, number] }[] };
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('decodePng == PIL for every colour type', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const img = decodePng(b64(c.png), name);
    expect([img.width, img.height]).toEqual(c.size);
    const rgb = compositeOnWhite(img);
    const want = b64(c.rgb);
    if (name === 'I;16') {
      // PIL clips 16-bit grey to 255 when it converts to RGB; we keep the high byte (the trainer never sees
      // 16-bit PNGs). The fixture's 16-bit values are the 8-bit grey case's values * 257, so we give that case's RGB.
      expect([...rgb.data]).toEqual([...b64(fixture.cases.find((x) => x.name === 'L')!.rgb)]);
      return;
    }
    expect([...rgb.data]).toEqual([...want]);
    expect(img.orientation).toBe(name.includes('orientation 6') ? 6 : 1);
  });
});

/** An Adam7-interlaced RGBA8 PNG (filter 0 rows), written here because PIL cannot write one. */
function interlacedPng(w: number, h: number, rgba: Uint8Array): Uint8Array {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0; y < h; y += dy) {
      if (x0 >= w) break;
      raw.push(0);
      for (let x = x0; x < w; x += dx) raw.push(...rgba.subarray((y * w + x) * 4, (y * w + x) * 4 + 4));
    }
  }
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, 6, 0, 0, 1], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Uint8Array.from(raw))), pngChunk('IEND', new Uint8Array())];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('more PNG cases', () => {
  test('Adam7 interlacing', () => {
    const w = 11, h = 9;
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37) % 251);
    const img = decodePng(interlacedPng(w, h, rgba));
    expect([...img.data]).toEqual([...rgba]);
  });

  test('encodePng round-trips RGB and RGBA', () => {
    const rgb = { width: 5, height: 3, data: Uint8Array.from({ length: 45 }, (_, i) => i * 5) };
    const back = decodePng(encodePng(rgb));
    expect([...compositeOnWhite(back).data]).toEqual([...rgb.data]);
    const rgba = { width: 2, height: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) };
    expect([...decodePng(encodePng(rgba)).data]).toEqual([...rgba.data]);
    expect(isPng(encodePng(rgb))).toBe(true);
  });

  test('a JPEG is refused naming its real type, with a hint to convert it', () => {
    let err: unknown;
    try { decodePng(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]), 'holiday.jpg'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as Error).message).toBe('"holiday.jpg" is a JPEG file; the command line reads PNG only.');
    expect((err as ImageDecodeError).hint).toMatch(/Convert the photo to PNG/);
  });

  test('truncated and damaged files are refused with ImageDecodeError', () => {
    const good = b64(fixture.cases[0].png);
    expect(() => decodePng(good.subarray(0, good.length - 20), 't.png')).toThrow(ImageDecodeError);
    const flipped = good.slice();
    flipped[40] ^= 0xff; // inside IDAT: the chunk checksum fails
    expect(() => decodePng(flipped, 'd.png')).toThrow(/damaged/);
  });
});
