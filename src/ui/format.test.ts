import { expect, test } from 'vitest';
import { etaMs } from '../state/queue';
import { formatDuration, formatSize, plural } from './format';
import { galleryIds } from './gallery/useGalleryIds';
import type { PhotoRecord } from '../storage/records';

test('formatSize, formatDuration, plural', () => {
  expect([formatSize(16), formatSize(1536), formatSize(3_200_000), formatSize(null)]).toEqual(['16 B', '1.5 KB', '3.2 MB', 'unknown']);
  expect([formatDuration(900), formatDuration(12_400), formatDuration(185_000), formatDuration(7_500_000)])
    .toEqual(['under a second', '12 s', '3 min 5 s', '2 h 5 min']);
  expect([plural(1, 'photo'), plural(2, 'photo')]).toEqual(['1 photo', '2 photos']);
});

test('etaMs: median duration times the photos left', () => {
  expect(etaMs([], 3)).toBeNull();
  expect(etaMs([5000, 100, 120], 10)).toBe(1200); // the slow first photo (warm-up) does not count much
  expect(etaMs([100, 200], 0)).toBe(0);
});

test('galleryIds: date taken before date added, newest or oldest first, status filter', () => {
  const p = (id: string, addedAt: number, status: PhotoRecord['status'], capturedAt?: string): PhotoRecord =>
    ({ id, name: id, type: 'image/png', byteSize: 1, width: 1, height: 1, addedAt, status, ...(capturedAt ? { capturedAt } : {}) });
  const day = (n: number) => Date.parse(`2024-01-0${n}T00:00:00Z`);
  // b was added last but taken in 2001: it sorts as the oldest.
  const photos = [p('a', day(3), 'indexed'), p('b', day(5), 'pending', '2001-01-01T00:00:00'), p('c', day(2), 'indexing'), p('d', day(4), 'failed')];
  expect(galleryIds(photos, 'newest', 'all')).toEqual(['d', 'a', 'c', 'b']);
  expect(galleryIds(photos, 'oldest', 'all')).toEqual(['b', 'c', 'a', 'd']);
  expect(galleryIds(photos, 'newest', 'pending')).toEqual(['c', 'b']);
  expect(galleryIds(photos, 'newest', 'stale')).toEqual([]);
});
