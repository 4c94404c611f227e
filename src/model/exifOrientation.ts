// EXIF orientation (tag 0x0112 of IFD0) from a TIFF block, e.g. a PNG eXIf chunk.
// Pure and defensive: the input is untrusted; anything malformed gives 1 (as stored), never an exception.
// Browsers apply orientation themselves (createImageBitmap(..., { imageOrientation: 'from-image' }));
// the Node CLI reads it from PNG files.

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
