import { afterEach, describe, expect, test } from 'vitest';
import { THUMBNAIL_MAX_EDGE, UnsupportedImageError, addPhotos, getPhoto, getThumbnail, preparePhoto } from '../../../src/storage';
import { sha256Hex } from '../../../src/storage/hash';
import { cleanup, freshLibrary } from './helpers';

afterEach(cleanup);

/** An APP1 segment with a little-endian TIFF: IFD0 -> Exif IFD -> DateTimeOriginal. */
function exifSegment(date: string): Uint8Array {
  const tiff = new Uint8Array(8 + 18 + 18 + 20);
  const dv = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49]);
  dv.setUint16(2, 42, true);
  dv.setUint32(4, 8, true);
  dv.setUint16(8, 1, true); // IFD0: one entry, ExifIFD pointer
  dv.setUint16(10, 0x8769, true); dv.setUint16(12, 4, true); dv.setUint32(14, 1, true); dv.setUint32(18, 26, true);
  dv.setUint16(26, 1, true); // Exif IFD: DateTimeOriginal
  dv.setUint16(28, 0x9003, true); dv.setUint16(30, 2, true); dv.setUint32(32, 20, true); dv.setUint32(36, 44, true);
  tiff.set(new TextEncoder().encode(date + '\0'), 44);
  const len = 2 + 6 + tiff.length;
  return new Uint8Array([0xff, 0xe1, len >> 8, len & 0xff, 0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff]);
}

async function jpegWithExif(w: number, h: number, date: string): Promise<File> {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#c00';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#00c';
  ctx.fillRect(w / 4, h / 4, w / 2, h / 2);
  const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
  const withExif = new Uint8Array([...jpeg.subarray(0, 2), ...exifSegment(date), ...jpeg.subarray(2)]);
  return new File([withExif], 'holiday.jpg', { type: 'image/jpeg' });
}

describe('preparePhoto', () => {
  test('hash id, EXIF date, dimensions and a bounded JPEG thumbnail, then stored as a pending photo', async () => {
    const file = await jpegWithExif(800, 600, '2022:08:09 10:11:12');
    const p = await preparePhoto(file);
    expect(p.id).toBe(await sha256Hex(await file.arrayBuffer()));
    expect(p).toMatchObject({ name: 'holiday.jpg', type: 'image/jpeg', byteSize: file.size, width: 800, height: 600, capturedAt: '2022-08-09T10:11:12' });
    expect(p.thumbnail).toMatchObject({ type: 'image/jpeg', width: THUMBNAIL_MAX_EDGE, height: 240 });
    const thumb = await createImageBitmap(new Blob([p.thumbnail.bytes], { type: p.thumbnail.type }));
    expect([thumb.width, thumb.height]).toEqual([320, 240]);
    const lib = await freshLibrary();
    expect(await addPhotos(lib, [p])).toEqual([{ id: p.id, outcome: 'added' }]);
    expect(await getPhoto(lib, p.id)).toMatchObject({ status: 'pending', capturedAt: '2022-08-09T10:11:12' });
    expect((await getThumbnail(lib, p.id))?.bytes.byteLength).toBe(p.thumbnail.bytes.byteLength);
  });

  test('a small image is not upscaled; a non-image is refused with a named error', async () => {
    const canvas = new OffscreenCanvas(40, 100);
    canvas.getContext('2d')!.fillRect(0, 0, 40, 100);
    const png = await canvas.convertToBlob({ type: 'image/png' });
    const p = await preparePhoto(png, 'small.png');
    expect(p).toMatchObject({ width: 40, height: 100, thumbnail: { width: 40, height: 100 } });
    expect(p.capturedAt).toBeUndefined();
    await expect(preparePhoto(new Blob(['not an image'], { type: 'text/plain' }), 'notes.txt')).rejects.toBeInstanceOf(UnsupportedImageError);
  });
});
