// A small PNG decoder and encoder for the Node CLI (node:zlib inflates/deflates; everything else is here).
// Decodes every standard PNG (grey, grey+alpha, RGB, RGBA, palette; 1..16 bits; Adam7 interlacing) into
// RGBA8, plus the EXIF orientation of an eXIf chunk. Like the trainer's PIL reference, a tRNS chunk makes
// palette entries transparent but is ignored for grey and RGB images (PIL keeps those opaque when it
// converts them to RGB). 16-bit samples keep their high byte. Other formats: ImageDecodeError.

import { deflateSync, inflateSync } from 'node:zlib';
import { ImageDecodeError } from '../src/model/errors';
import { orientationFromTiff } from '../src/model/exifOrientation';
import type { Orientation, RgbaImage, RgbImage } from '../src/model/image';
import { crc32 } from '../src/storage/crc32';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_PIXELS = 256 * 1024 * 1024; // refuse absurd sizes before allocating
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
// Adam7 passes: x0, y0, dx, dy
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** What a file's first bytes say it is, for messages. */
export function sniffImageType(bytes: Uint8Array): string {
  if (isPng(bytes)) return 'PNG';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'JPEG';
  if (String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'WebP';
  if (String.fromCharCode(...bytes.subarray(0, 3)) === 'GIF') return 'GIF';
  if (String.fromCharCode(...bytes.subarray(4, 12)).startsWith('ftyp')) return 'HEIC/AVIF';
  return 'unknown';
}

export interface DecodedPng extends RgbaImage {
  orientation: Orientation;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the scanline filters of one (sub)image in place; returns the raw rows. */
function unfilter(data: Uint8Array, at: number, w: number, h: number, bitsPerPixel: number, name: string): { rows: Uint8Array; next: number } {
  const stride = Math.ceil((w * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rows = new Uint8Array(stride * h);
  for (let y = 0; y < h; y++) {
    if (at + 1 + stride > data.length) throw new ImageDecodeError(`"${name}" is truncated: its image data ends in row ${y} of ${h}.`);
    const f = data[at];
    const src = data.subarray(at + 1, at + 1 + stride);
    const row = rows.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      let v: number;
      switch (f) {
        case 0: v = src[i]; break;
        case 1: v = src[i] + a; break;
        case 2: v = src[i] + b; break;
        case 3: v = src[i] + ((a + b) >> 1); break;
        case 4: v = src[i] + paeth(a, b, c); break;
        default: throw new ImageDecodeError(`"${name}" is damaged: unknown PNG filter ${f} in row ${y}.`);
      }
      row[i] = v & 0xff;
    }
    at += 1 + stride;
  }
  return { rows, next: at };
}

/** Decodes PNG bytes to RGBA8. `name` is used in messages. */
export function decodePng(bytes: Uint8Array, name = 'image'): DecodedPng {
  if (!isPng(bytes)) {
    throw new ImageDecodeError(`"${name}" is a ${sniffImageType(bytes)} file; the command line reads PNG only.`, {
      hint: 'Convert the photo to PNG first (e.g. `convert photo.jpg photo.png`), or add it in the web app, which reads JPEG, PNG, WebP and GIF.',
    });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let w = 0, h = 0, depth = 0, color = -1, interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  let orientation: Orientation = 1;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (at + 12 <= bytes.length) {
    const len = dv.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + len > bytes.length) throw new ImageDecodeError(`"${name}" is truncated inside its ${type} chunk.`);
    const body = bytes.subarray(at + 8, at + 8 + len);
    if (crc32(bytes.subarray(at + 4, at + 8 + len)) !== dv.getUint32(at + 8 + len)) {
      throw new ImageDecodeError(`"${name}" is damaged: the checksum of its ${type} chunk is wrong.`);
    }
    if (type === 'IHDR') {
      w = dv.getUint32(at + 8); h = dv.getUint32(at + 12);
      depth = body[8]; color = body[9]; interlace = body[12];
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'eXIf') orientation = orientationFromTiff(body);
    else if (type === 'IEND') { ended = true; break; }
    at += 12 + len;
  }
  if (!(color in CHANNELS) || !DEPTHS[color].includes(depth)) throw new ImageDecodeError(`"${name}" has an invalid PNG header (colour type ${color}, bit depth ${depth}).`);
  if (w < 1 || h < 1 || w * h > MAX_PIXELS) throw new ImageDecodeError(`"${name}" has an unsupported size ${w} x ${h}.`);
  if (color === 3 && !palette) throw new ImageDecodeError(`"${name}" is a palette PNG without a palette.`);
  if (!ended && idat.length === 0) throw new ImageDecodeError(`"${name}" is truncated: it has no image data.`);
  let data: Uint8Array;
  try {
    data = inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw new ImageDecodeError(`"${name}" is damaged or truncated: its image data does not inflate (${e instanceof Error ? e.message : String(e)}).`);
  }
  const ch = CHANNELS[color];
  const bitsPerPixel = ch * depth;
  const out = new Uint8Array(w * h * 4); // (h, w, 4) RGBA8
  const sample = (rows: Uint8Array, stride: number, x: number, y: number, c: number): number => {
    if (depth === 8) return rows[y * stride + x * ch + c];
    if (depth === 16) return rows[y * stride + 2 * (x * ch + c)];
    const bit = x * depth; // depth < 8: one channel
    const v = (rows[y * stride + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    return color === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  const put = (rows: Uint8Array, sw: number, sh: number, x0: number, y0: number, dx: number, dy: number) => {
    const stride = Math.ceil((sw * bitsPerPixel) / 8);
    for (let y = 0; y < sh; y++) {
      for (let x = 0; x < sw; x++) {
        const o = ((y0 + y * dy) * w + (x0 + x * dx)) * 4;
        if (color === 3) {
          const i = sample(rows, stride, x, y, 0);
          if (3 * i + 2 >= palette!.length) throw new ImageDecodeError(`"${name}" is damaged: palette index ${i} is out of range.`);
          out[o] = palette![3 * i]; out[o + 1] = palette![3 * i + 1]; out[o + 2] = palette![3 * i + 2];
          out[o + 3] = trns && i < trns.length ? trns[i] : 255;
        } else if (color === 0 || color === 4) {
          const g = sample(rows, stride, x, y, 0);
          out[o] = out[o + 1] = out[o + 2] = g;
          out[o + 3] = color === 4 ? sample(rows, stride, x, y, 1) : 255;
        } else {
          out[o] = sample(rows, stride, x, y, 0); out[o + 1] = sample(rows, stride, x, y, 1); out[o + 2] = sample(rows, stride, x, y, 2);
          out[o + 3] = color === 6 ? sample(rows, stride, x, y, 3) : 255;
        }
      }
    }
  };
  if (interlace === 0) {
    put(unfilter(data, 0, w, h, bitsPerPixel, name).rows, w, h, 0, 0, 1, 1);
  } else {
    let pos = 0;
    for (const [x0, y0, dx, dy] of ADAM7) {
      const sw = Math.ceil((w - x0) / dx), sh = Math.ceil((h - y0) / dy);
      if (sw <= 0 || sh <= 0) continue;
      const r = unfilter(data, pos, sw, sh, bitsPerPixel, name);
      put(r.rows, sw, sh, x0, y0, dx, dy);
      pos = r.next;
    }
  }
  return { width: w, height: h, data: out, orientation };
}

/** One PNG chunk: length, type, body, CRC-32 over type + body. */
export function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** Encodes RGB8 or RGBA8 pixels as a PNG (filter 0 rows, zlib level 9). */
export function encodePng(img: RgbImage | RgbaImage): Uint8Array {
  const ch = img.data.length / (img.width * img.height);
  if (ch !== 3 && ch !== 4) throw new RangeError(`encodePng: ${img.data.length} bytes is neither RGB nor RGBA for ${img.width} x ${img.height}`);
  const stride = img.width * ch;
  const raw = new Uint8Array((stride + 1) * img.height);
  for (let y = 0; y < img.height; y++) raw.set(img.data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, img.width);
  dv.setUint32(4, img.height);
  ihdr[8] = 8;
  ihdr[9] = ch === 3 ? 2 : 6;
  const parts = [Uint8Array.from(SIGNATURE), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw, { level: 9 })), pngChunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
