// Decoding an image file in the browser (window or worker) into RGBA8 for src/model/image.ts:
// createImageBitmap reads JPEG, PNG, WebP, GIF (first frame), AVIF..., applies EXIF orientation
// ('from-image') and ignores colour profiles ('none', as PIL does). A photo larger than 4x the model's input
// on an axis is first scaled down by the browser ('high' quality) to 4x, so no full-size RGBA buffer is ever
// held in JavaScript; the exact PIL-style box resize then does the last step on the CPU.

import { ImageDecodeError } from '../model/errors';
import type { RgbaImage } from '../model/image';

/** How much larger than the model input the browser's first downscale leaves the image. */
export const PREDOWNSCALE_FACTOR = 4;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Blob -> upright RGBA8, at most PREDOWNSCALE_FACTOR x `size` ([height, width]) on each axis. */
export async function decodeImage(blob: Blob, size: readonly [number, number], name = 'the image'): Promise<RgbaImage> {
  const [th, tw] = size;
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    throw new ImageDecodeError(`${name} (${blob.type || 'unknown type'}, ${blob.size} bytes) could not be decoded: ${errorText(e)}`,
      { data: { type: blob.type, bytes: blob.size } });
  }
  try {
    const maxW = PREDOWNSCALE_FACTOR * tw, maxH = PREDOWNSCALE_FACTOR * th;
    if (bmp.width > maxW || bmp.height > maxH) {
      const small = await createImageBitmap(bmp, {
        resizeWidth: Math.min(bmp.width, maxW), resizeHeight: Math.min(bmp.height, maxH), resizeQuality: 'high',
        premultiplyAlpha: 'none', colorSpaceConversion: 'none',
      });
      bmp.close();
      bmp = small;
    }
    const { width, height } = bmp;
    if (width < 1 || height < 1) throw new ImageDecodeError(`${name} has no pixels (${width} x ${height}).`);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new ImageDecodeError('This browser cannot read pixels back from a canvas (no 2D OffscreenCanvas).');
    ctx.drawImage(bmp, 0, 0);
    const data = ctx.getImageData(0, 0, width, height).data; // (height, width, 4) RGBA8, not premultiplied
    return { width, height, data };
  } finally {
    bmp.close();
  }
}
