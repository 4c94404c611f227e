// Which files are photos, what their first bytes say they are (empty, text, SVG, HEIC, TIFF... each with its
// own reason), and which image files are cut short (JPEG without EOI, PNG without IEND, GIF without trailer,
// WebP shorter than its RIFF size).
import { describe, expect, test } from 'vitest';
import { contentReason, damageReason, notAnImageReason, sniffFormat } from './fileChecks';

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

const bytes = (...parts: (string | number[])[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));
const ftyp = (major: string, ...compatible: string[]) => bytes([0, 0, 0, 16 + 4 * compatible.length], 'ftyp', major, [0, 0, 0, 0], ...compatible, [0, 0, 0, 8], 'meta');

describe('sniffFormat', () => {
  test('formats browsers decode', () => {
    expect(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0]))).toMatchObject({ name: 'JPEG', decodes: true });
    expect(sniffFormat(bytes([0x89], 'PNG', [13, 10, 26, 10]))).toMatchObject({ name: 'PNG', decodes: true });
    expect(sniffFormat(bytes('GIF89a'))).toMatchObject({ name: 'GIF', decodes: true });
    expect(sniffFormat(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 '))).toMatchObject({ name: 'WebP', decodes: true });
    expect(sniffFormat(bytes('BM', new Array(12).fill(0), [40, 0, 0, 0]))).toMatchObject({ name: 'BMP', decodes: true });
    expect(sniffFormat(ftyp('avif', 'mif1', 'miaf'))).toMatchObject({ name: 'AVIF', decodes: true });
    expect(sniffFormat(ftyp('mif1', 'avif'))).toMatchObject({ name: 'AVIF', decodes: true }); // AVIF with a HEIF major brand
    expect(sniffFormat(bytes([0, 0, 1, 0, 1, 0]))).toMatchObject({ name: 'ICO', decodes: true });
  });
  test('formats they do not, named', () => {
    expect(sniffFormat(ftyp('heic', 'mif1', 'heic'))).toMatchObject({ name: 'HEIC', decodes: false });
    expect(sniffFormat(ftyp('mif1', 'heic'))).toMatchObject({ name: 'HEIC', decodes: false });
    expect(sniffFormat(ftyp('mif1', 'miaf'))).toMatchObject({ name: 'HEIF', decodes: false });
    expect(sniffFormat(ftyp('qt  ', 'qt  '))).toMatchObject({ name: 'a video (MP4/MOV)', decodes: false });
    expect(sniffFormat(bytes('II*', [0, 8, 0, 0, 0]))).toMatchObject({ name: 'TIFF (or a camera RAW file)', decodes: false });
    expect(sniffFormat(bytes('MM', [0, 42, 0, 0, 0, 8]))).toMatchObject({ decodes: false });
    expect(sniffFormat(bytes([0xff, 0x0a, 1, 2]))).toMatchObject({ name: 'JPEG XL', decodes: false });
    expect(sniffFormat(bytes('%PDF-1.7\n'))).toMatchObject({ name: 'PDF', decodes: false });
    expect(sniffFormat(bytes('PK', [3, 4, 20, 0]))).toMatchObject({ name: 'a ZIP archive', decodes: false });
    const svg = new TextEncoder().encode('\uFEFF<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg"/>');
    expect(sniffFormat(svg)).toMatchObject({ name: 'SVG', decodes: false });
    expect(sniffFormat(new TextEncoder().encode('<svg width="1"></svg>'))).toMatchObject({ name: 'SVG' });
    expect(sniffFormat(new TextEncoder().encode('shopping list: milk, eggs, crème fraîche\n'))).toMatchObject({ name: 'text', decodes: false });
    expect(sniffFormat(new TextEncoder().encode('<html><body>not a drawing</body></html>'))).toMatchObject({ name: 'text' });
  });
  test('text cut inside a multi-byte character is still text; binary is not', () => {
    const t = new TextEncoder().encode('é'.repeat(600)); // 2 bytes each
    expect(sniffFormat(t.subarray(0, 1023))).toMatchObject({ name: 'text' }); // ends with a lone lead byte
    expect(sniffFormat(bytes([1, 2, 3, 0, 0xfe, 0xff, 7, 8]))).toBeNull();
    expect(sniffFormat(new Uint8Array(0))).toBeNull();
  });
});

describe('contentReason', () => {
  test('empty, text, and unsupported formats get their own reason; images and unknown bytes go on to the decoder', async () => {
    const file = (b: Uint8Array | string, name: string) => new File([b as BlobPart], name);
    expect(await contentReason(file(new Uint8Array(0), 'empty.jpg'))).toMatch(/^The file is empty \(0 bytes\)/);
    expect(await contentReason(file('milk, eggs', 'notes.jpg'))).toBe('Not a photo: the file holds text, although its name ends in .jpg. Add JPEG, PNG, WebP, GIF, BMP or AVIF images.');
    expect(await contentReason(new Blob(['milk']))).toMatch(/^Not a photo: the file holds text\. Add/);
    expect(await contentReason(file(ftyp('heic', 'mif1', 'heic'), 'IMG_1.HEIC'))).toMatch(/^Unsupported format: HEIC\. This browser cannot decode HEIC\/HEIF photos/);
    expect(await contentReason(file('<svg xmlns="http://www.w3.org/2000/svg"/>', 'a.svg'))).toMatch(/^Unsupported format: SVG\. SVG is a vector drawing/);
    expect(await contentReason(file(bytes([0xff, 0xd8, 0xff, 0xe0]), 'a.jpg'))).toBeNull();
    expect(await contentReason(file(bytes([1, 2, 3, 0, 0xfe]), 'a.jpg'))).toBeNull();
  });
});
