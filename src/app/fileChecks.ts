// Cheap checks on a dropped file before it is decoded: is it meant to be an image at all, what do its first
// bytes say it is, and is it whole?
// The name and MIME type only say what the file claims to be (a browser derives the type from the extension),
// so the first bytes decide: an empty file, text named .jpg, an SVG drawing or an iPhone HEIC photo each get
// their own reason, naming the format, instead of one generic "could not be read" after a failed decode.
// Browsers decode a truncated JPEG or PNG without complaint (the missing part comes out grey), so a file cut
// short by a broken copy would be indexed as a half-grey photo; the container's end marker says it is whole.

const IMAGE_EXTENSIONS = /\.(jpe?g|jfif|png|webp|gif|bmp|avif|heic|heif|tiff?)$/i;

/** Why `file` is not a photo, or null when it looks like one (by MIME type or extension). */
export function notAnImageReason(file: { name: string; type: string }): string | null {
  if (file.type.startsWith('image/')) return null;
  if (!file.type && IMAGE_EXTENSIONS.test(file.name)) return null;
  if (file.type === 'application/octet-stream' && IMAGE_EXTENSIONS.test(file.name)) return null;
  const kind = file.type || 'a file of unknown type';
  return `Not a photo (${kind}). ${ADD_THESE}`;
}

const ADD_THESE = 'Add JPEG, PNG, WebP, GIF, BMP or AVIF images.';

/** A format recognised by its first bytes. `decodes`: browsers read it (the rest get a reason up front). */
export interface SniffedFormat {
  name: string;
  decodes: boolean;
  /** For formats that do not decode: what the user can do. */
  advice?: string;
}

const CONVERT = 'Convert it to JPEG or PNG (most photo apps can "export as JPEG") and add that.';
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'mif2']);
const VIDEO_BRANDS = new Set(['isom', 'iso2', 'mp41', 'mp42', 'qt  ', 'avc1', 'M4V ', '3gp4', '3gp5', '3g2a', 'dash']);

const text4 = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);

/** True when `b` is UTF-8 text without control characters (other than tab, line feed, carriage return). */
function looksLikeText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  // A multi-byte character may be cut at the end of the sample: ignore up to 3 trailing bytes of it.
  let end = b.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const c = b[end - k];
    if ((c & 0xc0) === 0xc0) { end -= k; break; } // a lead byte whose continuation may be missing
    if ((c & 0xc0) !== 0x80) break;
  }
  let s: string;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, end));
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s);
}

/** What the first bytes (at least 64; 1 KiB recommended) say the file is, or null when nothing matches. */
export function sniffFormat(head: Uint8Array): SniffedFormat | null {
  const b = head;
  const at = (i: number, bytes: readonly number[]) => bytes.every((x, j) => b[i + j] === x);
  if (at(0, [0xff, 0xd8, 0xff])) return { name: 'JPEG', decodes: true };
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { name: 'PNG', decodes: true };
  if (at(0, [0x47, 0x49, 0x46, 0x38])) return { name: 'GIF', decodes: true };
  if (text4(b, 0) === 'RIFF' && text4(b, 8) === 'WEBP') return { name: 'WebP', decodes: true };
  if (at(0, [0x42, 0x4d]) && b.length >= 18 && b[14] >= 12 && b[15] === 0 && b[16] === 0 && b[17] === 0) return { name: 'BMP', decodes: true };
  if (at(0, [0, 0, 1, 0]) || at(0, [0, 0, 2, 0])) {
    // ICO/CUR: reserved 0, type 1|2, then a small image count
    if (b.length >= 6 && b[4] + (b[5] << 8) > 0 && b[4] + (b[5] << 8) < 256) return { name: 'ICO', decodes: true };
  }
  if (b.length >= 12 && text4(b, 4) === 'ftyp') {
    // ISO base media (HEIF, AVIF, MP4, MOV): the major brand, then compatible brands up to the box's end
    const boxEnd = Math.min(b.length, ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0);
    const brands = [text4(b, 8)];
    for (let i = 16; i + 4 <= boxEnd; i += 4) brands.push(text4(b, i));
    if (brands.some((x) => x === 'avif' || x === 'avis')) return { name: 'AVIF', decodes: true };
    if (brands.some((x) => HEIF_BRANDS.has(x))) {
      const heic = brands.some((x) => x.startsWith('he'));
      return {
        name: heic ? 'HEIC' : 'HEIF', decodes: false,
        advice: 'This browser cannot decode HEIC/HEIF photos (the iPhone camera format). ' +
          'Convert it to JPEG (or set the iPhone to Settings > Camera > Formats > Most Compatible) and add it again.',
      };
    }
    if (brands.some((x) => x === 'crx ')) return { name: 'Canon RAW (CR3)', decodes: false, advice: CONVERT };
    if (brands.some((x) => VIDEO_BRANDS.has(x))) return { name: 'a video (MP4/MOV)', decodes: false, advice: 'Add photos; videos are not indexed.' };
  }
  if (at(0, [0x49, 0x49, 0x2a, 0x00]) || at(0, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { name: 'TIFF (or a camera RAW file)', decodes: false, advice: `This browser cannot decode TIFF or RAW files. ${CONVERT}` };
  }
  if (at(0, [0xff, 0x0a]) || (text4(b, 4) === 'JXL ' && at(0, [0, 0, 0, 0x0c]))) {
    return { name: 'JPEG XL', decodes: false, advice: `This browser cannot decode JPEG XL. ${CONVERT}` };
  }
  if (text4(b, 0) === '8BPS') return { name: 'Photoshop (PSD)', decodes: false, advice: CONVERT };
  if (text4(b, 0) === '%PDF') return { name: 'PDF', decodes: false, advice: 'Export the pictures in it as JPEG or PNG and add those.' };
  if (at(0, [0x50, 0x4b, 0x03, 0x04])) return { name: 'a ZIP archive', decodes: false, advice: 'Unpack it and add the photos inside.' };
  if (looksLikeText(b.subarray(0, 1024))) {
    const start = new TextDecoder().decode(b.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart();
    if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(start)) {
      return { name: 'SVG', decodes: false, advice: 'SVG is a vector drawing, not a photo; export it as PNG or JPEG and add that.' };
    }
    return { name: 'text', decodes: false };
  }
  return null;
}

const extensionOf = (name: string) => /\.([a-z0-9]{1,5})$/i.exec(name)?.[1] ?? null;

/**
 * Why the file's content cannot be a photo the app can add: empty, text, or a recognised format browsers do not
 * decode (named). Null when it may decode (a known image format, or bytes nothing recognises: the decoder
 * decides then).
 */
export async function contentReason(file: Blob & { name?: string }): Promise<string | null> {
  if (file.size === 0) return 'The file is empty (0 bytes), so there is no picture in it. Copy it again from where it came from.';
  const format = sniffFormat(new Uint8Array(await file.slice(0, 1024).arrayBuffer()));
  if (!format || format.decodes) return null;
  if (format.name === 'text') {
    const ext = file.name ? extensionOf(file.name) : null;
    return `Not a photo: the file holds text${ext ? `, although its name ends in .${ext}` : ''}. ${ADD_THESE}`;
  }
  return `Unsupported format: ${format.name}. ${format.advice ?? ADD_THESE}`;
}

function indexOfBytes(hay: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = hay.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const TAIL = 1024;
const TRUNCATED = 'The file is cut short (truncated), so part of the picture is missing. Copy it again from where it came from.';

/** Why the image container is damaged (missing end marker), or null when it looks whole or is not checked. */
export async function damageReason(file: Blob): Promise<string | null> {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const tail = new Uint8Array(await file.slice(Math.max(0, file.size - TAIL)).arrayBuffer());
  if (head[0] === 0xff && head[1] === 0xd8) {
    // JPEG: the EOI marker FF D9 ends the file (some writers pad after it). 0xFF in entropy-coded data is
    // always stuffed (FF 00), so FF D9 in the tail is the end marker.
    return indexOfBytes(tail, [0xff, 0xd9]) < 0 ? `${TRUNCATED} (The JPEG has no end marker.)` : null;
  }
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) {
    return indexOfBytes(tail, [0x49, 0x45, 0x4e, 0x44]) < 0 ? `${TRUNCATED} (The PNG has no IEND chunk.)` : null;
  }
  if (head[0] === 0x52 && head[1] === 0x49 && head[2] === 0x46 && head[3] === 0x46 && head[8] === 0x57) {
    const riffSize = new DataView(head.buffer).getUint32(4, true);
    return file.size < riffSize + 8 ? `${TRUNCATED} (The WebP is shorter than its header says.)` : null;
  }
  if (head[0] === 0x47 && head[1] === 0x49 && head[2] === 0x46) {
    return tail[tail.length - 1] !== 0x3b ? `${TRUNCATED} (The GIF has no trailer.)` : null;
  }
  return null;
}
