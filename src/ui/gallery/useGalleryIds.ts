// The gallery's photo ids: filtered by status and sorted by date (taken, else added), newest or oldest first.
import { useMemo } from 'react';
import { useLibrary } from '../../state/library';
import { filterStatuses, useView, type GalleryFilter, type GallerySort } from '../../state/view';
import type { PhotoRecord } from '../../storage/records';

/** ms since the epoch of when the photo was taken (EXIF, read as local time), else when it was added. */
export function photoTime(p: PhotoRecord): number {
  if (p.capturedAt) {
    const t = Date.parse(p.capturedAt);
    if (Number.isFinite(t)) return t;
  }
  return p.addedAt;
}

export function galleryIds(photos: Iterable<PhotoRecord>, sort: GallerySort, filter: GalleryFilter): string[] {
  const statuses = filterStatuses(filter);
  const rows: { id: string; t: number }[] = [];
  for (const p of photos) if (!statuses || statuses.includes(p.status)) rows.push({ id: p.id, t: photoTime(p) });
  const dir = sort === 'newest' ? -1 : 1;
  rows.sort((a, b) => (a.t - b.t) * dir || (a.id < b.id ? -dir : dir));
  return rows.map((r) => r.id);
}

export function useGalleryIds(): string[] {
  const photos = useLibrary((s) => s.photos);
  const sort = useView((s) => s.sort);
  const filter = useView((s) => s.filter);
  return useMemo(() => galleryIds(photos.values(), sort, filter), [photos, sort, filter]);
}
