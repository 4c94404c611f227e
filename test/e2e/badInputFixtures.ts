// Bad-input fixtures for test/e2e/badInput.e2e.test.ts, built as bytes at test time (Node side). Inputs that
// need a real JPEG encoder (truncated JPEG, EXIF orientation 6, the 50-megapixel photo) are made in the page
// with OffscreenCanvas instead (see the test). The one committed binary is test/e2e/fixtures/cmyk.jpg (428
// bytes; browsers cannot encode CMYK), made with Pillow:
//   from PIL import Image; im = Image.new('CMYK', (32, 32)); px = im.load()
//   for y in range(32):
//     for x in range(32): px[x, y] = [(0,255,255,0), (255,0,255,0), (255,255,0,0), (0,0,0,0)][(y >= 16) * 2 + (x >= 16)]
//   im.save('cmyk.jpg', quality=95, subsampling=0)   # Adobe APP14, inverted CMYK, as Photoshop writes it
// i.e. quadrants red | green over blue | white.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { pngChunk } from '../../cli/png';

export type Rgb = readonly [number, number, number];

/** A file to hand to the page: name, MIME type (what a browser would report for the extension) and bytes. */
export interface FixtureFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

const concat = (parts: readonly (Uint8Array | readonly number[])[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const u16le = (n: number) => [n & 0xff, n >> 8];

/**
 * An RGB PNG with 16 bits per sample (colour type 2, depth 16). `pixel(x, y)` gives 8-bit colours; each is
 * widened to 16 bits (v * 257), so a decoder that keeps the high byte gets the 8-bit colour back.
 */
export function png16(width: number, height: number, pixel: (x: number, y: number) => Rgb): Uint8Array {
  const stride = 1 + width * 6;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = pixel(x, y);
      for (let k = 0; k < 3; k++) {
        const v = c[k] * 257;
        raw[y * stride + 1 + 6 * x + 2 * k] = v >> 8;
        raw[y * stride + 1 + 6 * x + 2 * k + 1] = v & 0xff;
      }
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 16; // bit depth
  ihdr[9] = 2; // RGB
  return concat([[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

/**
 * An animated GIF89a (looping), `frames` of palette indices (width * height each) over a 4-colour global
 * palette. The LZW stream sends a clear code before every pixel, so codes stay 3 bits wide and no
 * dictionary is ever built: valid for every decoder, and simple enough to be obviously right.
 */
export function animatedGif(width: number, height: number, palette: readonly Rgb[], frames: readonly Uint8Array[]): Uint8Array {
  if (palette.length !== 4) throw new RangeError('animatedGif: the palette must have 4 colours');
  const CLEAR = 4, EOI = 5, WIDTH = 3;
  const lzw = (indices: Uint8Array): number[] => {
    const bytes: number[] = [];
    let acc = 0, bits = 0;
    const put = (code: number) => {
      acc |= code << bits;
      bits += WIDTH;
      while (bits >= 8) {
        bytes.push(acc & 0xff);
        acc >>= 8;
        bits -= 8;
      }
    };
    for (const i of indices) {
      put(CLEAR);
      put(i);
    }
    put(EOI);
    if (bits > 0) bytes.push(acc & 0xff);
    const blocks: number[] = [];
    for (let at = 0; at < bytes.length; at += 255) {
      const chunk = bytes.slice(at, at + 255);
      blocks.push(chunk.length, ...chunk);
    }
    return [...blocks, 0];
  };
  const parts: (Uint8Array | number[])[] = [
    ascii('GIF89a'), [...u16le(width), ...u16le(height), 0x91 /* global table, 2 bits/colour, 4 entries */, 0, 0],
    palette.flatMap((c) => [...c]),
    [0x21, 0xff, 0x0b, ...ascii('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00], // loop forever
  ];
  for (const f of frames) {
    parts.push([0x21, 0xf9, 0x04, 0x00, ...u16le(20), 0x00, 0x00]); // 0.2 s per frame, no disposal
    parts.push([0x2c, 0, 0, 0, 0, ...u16le(width), ...u16le(height), 0x00, 0x02 /* LZW min code size */]);
    parts.push(lzw(f));
  }
  parts.push([0x3b]);
  return concat(parts);
}

/** The first bytes of an iPhone HEIC photo: an ISO-BMFF `ftyp` box (brand heic) and the start of `meta`. */
export function heicHeader(): Uint8Array {
  const ftyp = [0, 0, 0, 0x18, ...ascii('ftypheic'), 0, 0, 0, 0, ...ascii('mif1heic')];
  const meta = [0, 0, 0, 0x28, ...ascii('meta'), 0, 0, 0, 0, 0, 0, 0, 0x21, ...ascii('hdlr'), 0, 0, 0, 0, 0, 0, 0, 0, ...ascii('pict'), 0, 0, 0, 0, 0, 0, 0, 0];
  return concat([ftyp, meta, new Uint8Array(400).map((_, i) => (i * 37) & 0xff)]);
}

export const fixturesDir = join(import.meta.dirname, 'fixtures');

/** The bad inputs that are built in Node (see the page-side ones in the test). */
export function nodeFixtures(): FixtureFile[] {
  const quadrants: Rgb[] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
  const red: Rgb = [255, 0, 0], blue: Rgb = [0, 0, 255], green: Rgb = [0, 255, 0], white: Rgb = [255, 255, 255];
  const W = 32, H = 32;
  // Frame 1: left half red, right half blue. Frame 2: all green. Only frame 1 may show up.
  const first = Uint8Array.from({ length: W * H }, (_, i) => ((i % W) < W / 2 ? 0 : 1));
  const second = new Uint8Array(W * H).fill(2);
  const enc = new TextEncoder();
  return [
    { name: 'empty.jpg', type: 'image/jpeg', bytes: new Uint8Array(0) },
    { name: 'notes.jpg', type: 'image/jpeg', bytes: enc.encode('shopping list: milk, eggs, bread\nremember the film for the camera\n') },
    {
      name: 'drawing.svg', type: 'image/svg+xml',
      bytes: enc.encode('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>\n'),
    },
    { name: 'IMG_0042.HEIC', type: 'image/heic', bytes: heicHeader() },
    { name: 'animated.gif', type: 'image/gif', bytes: animatedGif(W, H, [red, blue, green, white], [first, second]) },
    { name: 'cmyk.jpg', type: 'image/jpeg', bytes: new Uint8Array(readFileSync(join(fixturesDir, 'cmyk.jpg'))) },
    { name: 'deep-16bit.png', type: 'image/png', bytes: png16(W, H, (x, y) => quadrants[(y >= H / 2 ? 2 : 0) + (x >= W / 2 ? 1 : 0)]) },
  ];
}
