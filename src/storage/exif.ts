// Capture date from a JPEG's EXIF block (APP1 "Exif\0\0" + TIFF), without a dependency.
// Pure: no browser or Node APIs. The input is untrusted: every offset is bounds-checked, and any malformed
// structure gives `null` (no date), never an exception.
//
// Preference: DateTimeOriginal (0x9003) > DateTimeDigitized (0x9004) > IFD0 DateTime (0x0132).
// EXIF dates are wall-clock time without a zone; the matching OffsetTime* tag (0x9011 / 0x9012 / 0x9010), when
// present, is appended. Result: "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DDTHH:MM:SS+HH:MM" (sorts by wall clock).

const TAG_EXIF_IFD = 0x8769;
const TAG_DATETIME = 0x0132;
const TAG_DATETIME_ORIGINAL = 0x9003;
const TAG_DATETIME_DIGITIZED = 0x9004;
const TAG_OFFSET_TIME = 0x9010;
const TAG_OFFSET_TIME_ORIGINAL = 0x9011;
const TAG_OFFSET_TIME_DIGITIZED = 0x9012;
const TYPE_ASCII = 2;
const MAX_SEGMENTS = 256;
const MAX_IFD_ENTRIES = 512;

interface Tiff {
  bytes: Uint8Array;
  start: number; // offset of the TIFF header in `bytes`
  end: number; // end of the APP1 segment
  le: boolean;
}

function u16(t: Tiff, at: number): number | null {
  if (at < t.start || at + 2 > t.end) return null;
  const a = t.bytes[at], b = t.bytes[at + 1];
  return t.le ? a | (b << 8) : (a << 8) | b;
}

function u32(t: Tiff, at: number): number | null {
  if (at < t.start || at + 4 > t.end) return null;
  const b = t.bytes;
  return t.le
    ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
    : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Reads an IFD at TIFF-relative offset `ifd`: tag -> ASCII string or u32 pointer. */
function readIfd(t: Tiff, ifd: number): Map<number, string | number> | null {
  const at = t.start + ifd;
  const n = u16(t, at);
  if (n === null || n > MAX_IFD_ENTRIES) return null;
  const out = new Map<number, string | number>();
  for (let i = 0; i < n; i++) {
    const e = at + 2 + 12 * i;
    const tag = u16(t, e), type = u16(t, e + 2), count = u32(t, e + 4), value = u32(t, e + 8);
    if (tag === null || type === null || count === null || value === null) return out; // truncated: keep what we have
    if (tag === TAG_EXIF_IFD) out.set(tag, value);
    else if (type === TYPE_ASCII && count > 0 && count <= 64) {
      const from = count <= 4 ? e + 8 : t.start + value;
      if (from < t.start || from + count > t.end) continue;
      let s = '';
      for (let k = 0; k < count; k++) {
        const c = t.bytes[from + k];
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      out.set(tag, s);
    }
  }
  return out;
}

function exifDate(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(s.trim());
  if (m === null) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
}

function exifOffset(s: unknown): string {
  return typeof s === 'string' && /^[+-]\d{2}:\d{2}$/.test(s.trim()) ? s.trim() : '';
}

function dateFromTiff(t: Tiff): string | null {
  const bom = u16(t, t.start);
  if (bom === 0x4949) t.le = true;
  else if (bom === 0x4d4d) t.le = false;
  else return null;
  if (u16(t, t.start + 2) !== 42) return null;
  const ifd0Off = u32(t, t.start + 4);
  if (ifd0Off === null) return null;
  const ifd0 = readIfd(t, ifd0Off);
  if (ifd0 === null) return null;
  const exifOff = ifd0.get(TAG_EXIF_IFD);
  const exif = typeof exifOff === 'number' ? readIfd(t, exifOff) : null;
  const candidates: [Map<number, string | number> | null, number, number][] = [
    [exif, TAG_DATETIME_ORIGINAL, TAG_OFFSET_TIME_ORIGINAL],
    [exif, TAG_DATETIME_DIGITIZED, TAG_OFFSET_TIME_DIGITIZED],
    [ifd0, TAG_DATETIME, TAG_OFFSET_TIME],
  ];
  for (const [ifd, dateTag, offsetTag] of candidates) {
    const date = exifDate(ifd?.get(dateTag));
    if (date !== null) return date + exifOffset(exif?.get(offsetTag));
  }
  return null;
}

/** The photo's capture date from EXIF, or null when the file is not a JPEG or carries no valid date. */
export function readExifCaptureDate(bytes: Uint8Array): string | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  for (let seg = 0; seg < MAX_SEGMENTS && i + 4 <= bytes.length; seg++) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan: no more metadata
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; } // markers without a length
    const len = (bytes[i + 2] << 8) | bytes[i + 3];
    if (len < 2) return null;
    const start = i + 4, end = Math.min(i + 2 + len, bytes.length);
    if (marker === 0xe1 && end - start >= 6 && bytes[start] === 0x45 && bytes[start + 1] === 0x78 && bytes[start + 2] === 0x69 &&
      bytes[start + 3] === 0x66 && bytes[start + 4] === 0 && bytes[start + 5] === 0) {
      const date = dateFromTiff({ bytes, start: start + 6, end, le: true });
      if (date !== null) return date;
    }
    i += 2 + len;
  }
  return null;
}
