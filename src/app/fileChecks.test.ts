// Which files are photos, and which image files are cut short (JPEG without EOI, PNG without IEND, GIF
// without trailer, WebP shorter than its RIFF size).
import { describe, expect, test } from 'vitest';
import { damageReason, notAnImageReason } from './fileChecks';

const jpeg = (tail: number[]) => new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, ...new Array(40).fill(7), ...tail])]);
const png = (withEnd: boolean) => new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, ...new Array(30).fill(1), ...(withEnd ? [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82] : [])])]);

describe('notAnImageReason', () => {
  test('by MIME type, or by extension when the type is missing', () => {
    expect(notAnImageReason({ name: 'a.jpg', type: 'image/jpeg' })).toBeNull();
    expect(notAnImageReason({ name: 'a.HEIC', type: '' })).toBeNull();
    expect(notAnImageReason({ name: 'notes.txt', type: 'text/plain' })).toMatch(/^Not a photo \(text\/plain\)/);
    expect(notAnImageReason({ name: 'x', type: '' })).toMatch(/unknown type/);
  });
});

describe('damageReason', () => {
  test('JPEG', async () => {
    expect(await damageReason(jpeg([0xff, 0xd9]))).toBeNull();
    expect(await damageReason(jpeg([0xff, 0xd9, 0, 0]))).toBeNull(); // padding after EOI
    expect(await damageReason(jpeg([1, 2]))).toMatch(/truncated.*JPEG has no end marker/);
  });
  test('PNG, GIF, WebP, others', async () => {
    expect(await damageReason(png(true))).toBeNull();
    expect(await damageReason(png(false))).toMatch(/PNG has no IEND/);
    expect(await damageReason(new Blob([new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2, 0x3b])]))).toBeNull();
    expect(await damageReason(new Blob([new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2])]))).toMatch(/GIF/);
    const webp = new Uint8Array(30);
    webp.set([0x52, 0x49, 0x46, 0x46, 22, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]);
    expect(await damageReason(new Blob([webp]))).toBeNull();
    expect(await damageReason(new Blob([webp.subarray(0, 20)]))).toMatch(/WebP/);
    expect(await damageReason(new Blob([new Uint8Array([1, 2, 3])]))).toBeNull();
  });
});
