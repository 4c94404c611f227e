// Decoding image files in the browser for compress(): JPEG with EXIF orientation, WebP, GIF (first frame),
// a photo far larger than the model input (scaled down first, never read back at full size), and a file
// that is no image.
import { describe, expect, test } from 'vitest';
import { decodeImage, PREDOWNSCALE_FACTOR } from '../../../src/engine/imageDecode';
import { ImageDecodeError } from '../../../src/model/errors';
import { preprocessImage } from '../../../src/model/image';

/** A w x h image: left half red, right half blue. */
async function halves(w: number, h: number, type: string): Promise<Blob> {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#ff0000';
  ctx.fillRect(0, 0, w / 2, h);
  ctx.fillStyle = '#0000ff';
  ctx.fillRect(w / 2, 0, w / 2, h);
  return c.convertToBlob({ type, quality: 1 });
}

/** The JPEG with an APP1 Exif segment (orientation tag only) inserted after SOI. */
async function withOrientation(jpeg: Blob, orientation: number): Promise<Blob> {
  const b = new Uint8Array(await jpeg.arrayBuffer());
  const tiff = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0];
  const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  return new Blob([b.subarray(0, 2), Uint8Array.from(app1), b.subarray(2)], { type: 'image/jpeg' });
}

const red = (px: Uint8ClampedArray | Uint8Array, i: number) => px[4 * i] > 200 && px[4 * i + 2] < 60;
const blue = (px: Uint8ClampedArray | Uint8Array, i: number) => px[4 * i + 2] > 200 && px[4 * i] < 60;

describe('decodeImage', () => {
  test('JPEG with EXIF orientation 6 comes out upright (rotated 90 degrees clockwise)', async () => {
    const img = await decodeImage(await withOrientation(await halves(8, 4, 'image/jpeg'), 6), [64, 64]);
    expect([img.width, img.height]).toEqual([4, 8]);
    expect(red(img.data, 0)).toBe(true); // stored left half (red) is now on top
    expect(blue(img.data, 4 * 7)).toBe(true);
  });

  test('WebP decodes', async () => {
    const img = await decodeImage(await halves(6, 2, 'image/webp'), [64, 64]);
    expect([img.width, img.height]).toEqual([6, 2]);
    expect(red(img.data, 0) && blue(img.data, 5)).toBe(true);
  });

  test('an animated GIF gives its first frame', async () => {
    // 1x1, global palette [red, blue]; frame 1 = index 0 (red), frame 2 = index 1 (blue); LZW min code size 2.
    const frame = (code: number) => [0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, code, 0x01, 0x00];
    const gif = Uint8Array.from([
      0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0xff, 0, 0, 0, 0, 0xff,
      ...frame(0x44), ...frame(0x4c), 0x3b,
    ]);
    const img = await decodeImage(new Blob([gif], { type: 'image/gif' }), [64, 64]);
    expect([img.width, img.height]).toEqual([1, 1]);
    expect(red(img.data, 0)).toBe(true);
  });

  test(`a photo larger than ${PREDOWNSCALE_FACTOR}x the input is scaled down by the browser first`, async () => {
    const img = await decodeImage(await halves(3000, 2000, 'image/png'), [64, 64]);
    expect([img.width, img.height]).toEqual([256, 256]);
    const x = preprocessImage(img, { size: [64, 64], mean: [0, 0, 0], std: [1, 1, 1] });
    expect(x[0]).toBe(1); // R plane, top-left: red
    expect(x[63]).toBe(0); // R plane, top-right: blue
  });

  test('bytes that are no image give ImageDecodeError with the type and size', async () => {
    const blob = new Blob([new Uint8Array(100).fill(7)], { type: 'image/heic' });
    const err = await decodeImage(blob, [64, 64], '"IMG_1.HEIC"').catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toMatch(/^"IMG_1.HEIC" \(image\/heic, 100 bytes\) could not be decoded/);
    expect(err.hint).toMatch(/convert other formats/);
  });
});
