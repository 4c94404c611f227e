import { describe, expect, test } from 'vitest';
import { readExifCaptureDate } from '../../../src/storage/exif';

type Entry = { tag: number; ascii: string } | { tag: number; pointer: 'exif' };

/** A minimal TIFF block: IFD0 (entries), then the Exif IFD, then the string data. */
function tiff(le: boolean, ifd0: Entry[], exif: Entry[]): Uint8Array {
  const buf = new Uint8Array(1024);
  const dv = new DataView(buf.buffer);
  buf[0] = buf[1] = le ? 0x49 : 0x4d;
  dv.setUint16(2, 42, le);
  dv.setUint32(4, 8, le);
  const ifd0At = 8;
  const exifAt = ifd0At + 2 + 12 * ifd0.length + 4;
  let dataAt = exifAt + 2 + 12 * exif.length + 4;
  const writeIfd = (at: number, entries: Entry[]) => {
    dv.setUint16(at, entries.length, le);
    entries.forEach((e, i) => {
      const p = at + 2 + 12 * i;
      dv.setUint16(p, e.tag, le);
      if ('pointer' in e) {
        dv.setUint16(p + 2, 4, le);
        dv.setUint32(p + 4, 1, le);
        dv.setUint32(p + 8, exifAt, le);
      } else {
        const s = new TextEncoder().encode(e.ascii + '\0');
        dv.setUint16(p + 2, 2, le);
        dv.setUint32(p + 4, s.length, le);
        if (s.length <= 4) buf.set(s, p + 8);
        else {
          dv.setUint32(p + 8, dataAt, le);
          buf.set(s, dataAt);
          dataAt += s.length;
        }
      }
    });
  };
  writeIfd(ifd0At, ifd0);
  writeIfd(exifAt, exif);
  return buf.subarray(0, dataAt);
}

/** SOI, an APP0 segment, APP1 Exif with `t`, a fake SOS, EOI. */
function jpeg(t: Uint8Array): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x06, 0x4a, 0x46, 0x49, 0x46];
  const app1Len = 2 + 6 + t.length;
  return new Uint8Array([
    0xff, 0xd8, ...app0,
    0xff, 0xe1, app1Len >> 8, app1Len & 0xff, 0x45, 0x78, 0x69, 0x66, 0, 0, ...t,
    0xff, 0xda, 0x00, 0x02, 0x11, 0x22, 0xff, 0xd9,
  ]);
}

describe('readExifCaptureDate', () => {
  test('prefers DateTimeOriginal, appends OffsetTimeOriginal, both byte orders', () => {
    for (const le of [true, false]) {
      const t = tiff(le, [{ tag: 0x0132, ascii: '2020:01:01 00:00:00' }, { tag: 0x8769, pointer: 'exif' }],
        [{ tag: 0x9003, ascii: '2021:06:15 13:45:30' }, { tag: 0x9011, ascii: '+02:00' }, { tag: 0x9004, ascii: '2021:06:16 00:00:00' }]);
      expect(readExifCaptureDate(jpeg(t))).toBe('2021-06-15T13:45:30+02:00');
    }
  });

  test('falls back to DateTimeDigitized, then IFD0 DateTime; rejects unset dates', () => {
    const digitized = tiff(true, [{ tag: 0x8769, pointer: 'exif' }], [{ tag: 0x9004, ascii: '2019:12:31 23:59:59' }]);
    expect(readExifCaptureDate(jpeg(digitized))).toBe('2019-12-31T23:59:59');
    const ifd0Only = tiff(false, [{ tag: 0x0132, ascii: '2018:02:03 04:05:06' }], []);
    expect(readExifCaptureDate(jpeg(ifd0Only))).toBe('2018-02-03T04:05:06');
    const unset = tiff(true, [{ tag: 0x8769, pointer: 'exif' }], [{ tag: 0x9003, ascii: '0000:00:00 00:00:00' }]);
    expect(readExifCaptureDate(jpeg(unset))).toBeNull();
  });

  test('non-JPEG and JPEG without EXIF give null', () => {
    expect(readExifCaptureDate(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
    expect(readExifCaptureDate(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9]))).toBeNull();
    expect(readExifCaptureDate(new Uint8Array(0))).toBeNull();
  });

  test('truncated at every byte, or with random bytes flipped, it never throws', () => {
    const full = jpeg(tiff(true, [{ tag: 0x8769, pointer: 'exif' }], [{ tag: 0x9003, ascii: '2021:06:15 13:45:30' }]));
    let found = 0;
    for (let n = 0; n <= full.length; n++) {
      const r = readExifCaptureDate(full.subarray(0, n));
      if (r !== null) {
        expect(r).toBe('2021-06-15T13:45:30');
        found++;
      }
    }
    expect(found).toBeGreaterThan(0); // the complete prefix does find it
    let seed = 99;
    for (let i = 0; i < 3000; i++) {
      const b = full.slice();
      for (let k = 0; k < 4; k++) b[(seed = (seed * 1103515245 + 12345) >>> 0) % b.length] = seed >>> 24;
      const r = readExifCaptureDate(b);
      expect(r === null || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(r)).toBe(true);
    }
  });
});
