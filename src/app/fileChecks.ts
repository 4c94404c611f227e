// Cheap checks on a dropped file before it is decoded: is it meant to be an image at all, and is it whole?
// Browsers decode a truncated JPEG or PNG without complaint (the missing part comes out grey), so a file cut
// short by a broken copy would be indexed as a half-grey photo; the container's end marker says it is whole.

const IMAGE_EXTENSIONS = /\.(jpe?g|jfif|png|webp|gif|bmp|avif|heic|heif|tiff?)$/i;

/** Why `file` is not a photo, or null when it looks like one (by MIME type or extension). */
export function notAnImageReason(file: { name: string; type: string }): string | null {
  if (file.type.startsWith('image/')) return null;
  if (!file.type && IMAGE_EXTENSIONS.test(file.name)) return null;
  if (file.type === 'application/octet-stream' && IMAGE_EXTENSIONS.test(file.name)) return null;
  const kind = file.type || 'a file of unknown type';
  return `Not a photo (${kind}). Add JPEG, PNG, WebP, GIF, BMP or AVIF images.`;
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
