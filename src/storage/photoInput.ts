// From a picked File to a NewPhoto: content hash (the photo id), EXIF capture date, dimensions and a small
// JPEG thumbnail. Uses createImageBitmap + OffscreenCanvas, so it runs in a window or a worker.

import { readExifCaptureDate } from './exif';
import { sha256Hex } from './hash';
import type { NewPhoto } from './photos';

/** Longest edge of a thumbnail, in pixels. */
export const THUMBNAIL_MAX_EDGE = 320;
const THUMBNAIL_TYPE = 'image/jpeg';
const THUMBNAIL_QUALITY = 0.8;

/** The browser cannot decode this file as an image. */
export class UnsupportedImageError extends Error {
  override readonly name = 'UnsupportedImageError';
  constructor(readonly fileName: string, options?: { cause?: unknown }) {
    super(`"${fileName}" could not be read as an image. Use a JPEG, PNG or WebP file (HEIC/RAW need converting first).`, options);
  }
}

/** Reads a file and makes everything addPhotos needs. Throws UnsupportedImageError for files that do not decode. */
export async function preparePhoto(file: Blob, name = (file as File).name ?? 'photo'): Promise<NewPhoto> {
  const bytes = await file.arrayBuffer();
  const id = await sha256Hex(bytes);
  const capturedAt = readExifCaptureDate(new Uint8Array(bytes));
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new UnsupportedImageError(name, { cause: e });
  }
  try {
    const { width, height } = bitmap;
    const scale = Math.min(1, THUMBNAIL_MAX_EDGE / Math.max(width, height));
    const tw = Math.max(1, Math.round(width * scale));
    const th = Math.max(1, Math.round(height * scale));
    const canvas = new OffscreenCanvas(tw, th);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new UnsupportedImageError(name);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, tw, th);
    const thumb = await canvas.convertToBlob({ type: THUMBNAIL_TYPE, quality: THUMBNAIL_QUALITY });
    const photo: NewPhoto = {
      id, name, type: file.type || 'application/octet-stream', byteSize: file.size, width, height,
      thumbnail: { type: thumb.type || THUMBNAIL_TYPE, width: tw, height: th, bytes: await thumb.arrayBuffer() },
      original: file,
    };
    if (capturedAt !== null) photo.capturedAt = capturedAt;
    return photo;
  } finally {
    bitmap.close();
  }
}
