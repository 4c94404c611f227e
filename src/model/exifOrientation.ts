// EXIF orientation (tag 0x0112 of IFD0) from a TIFF block (a PNG eXIf chunk) or a JPEG's APP1 "Exif" segment.
// Pure and defensive: the input is untrusted; anything malformed gives 1 (as stored), never an exception.
// Browsers apply orientation themselves (createImageBitmap(..., { imageOrientation: 'from-image' }));
// the Node CLI uses this.

import type { Orientation } from './image';

const TAG_ORIENTATION = 0x0112;

/** Orientation from a TIFF stream ("II*\0" or "MM\0*" header). */
export function orientationFromTiff(b: Uint8Array, start = 0, end = b.length): Orientation {
  if (end - start < 8) return 1;
  const le = b[start] === 0x49 && b[start + 1] === 0x49;
  if (!le && !(b[start] === 0x4d && b[start + 1] === 0x4d)) return 1;
  const u16 = (at: number) => (at + 2 > end ? -1 : le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]);
  const u32 = (at: number) => (at + 4 > end ? -1
    : le ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
      : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0);
  if (u16(start + 2) !== 42) return 1;
  const ifd = u32(start + 4);
  if (ifd < 8) return 1;
  const at = start + ifd;
  const n = u16(at);
  if (n < 0 || n > 1024) return 1;
  for (let i = 0; i < n; i++) {
    const e = at + 2 + 12 * i;
    if (e + 12 > end) return 1;
    if (u16(e) === TAG_ORIENTATION && u16(e + 2) === 3 /* SHORT */) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? (v as Orientation) : 1;
    }
  }
  return 1;
}

/** Orientation from JPEG bytes (first APP1 Exif segment); 1 when absent or not a JPEG. */
export function orientationFromJpeg(b: Uint8Array): Orientation {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return 1;
  let i = 2;
  for (let seg = 0; seg < 256 && i + 4 <= b.length; seg++) {
    if (b[i] !== 0xff) return 1;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    if (marker === 0xd9 || marker === 0xda) return 1;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2) return 1;
    const s = i + 4, e = Math.min(i + 2 + len, b.length);
    if (marker === 0xe1 && e - s >= 6 && b[s] === 0x45 && b[s + 1] === 0x78 && b[s + 2] === 0x69 && b[s + 3] === 0x66 && b[s + 4] === 0 && b[s + 5] === 0) {
      return orientationFromTiff(b, s + 6, e);
    }
    i += 2 + len;
  }
  return 1;
}
