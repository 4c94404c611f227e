// Object URLs for thumbnails (gallery cells) and full images (photo view). Thumbnails are cached with a
// bounded LRU so scrolling 10k photos keeps at most MAX_THUMBS decoded URLs alive.

import { getOriginal, getThumbnail } from '../storage';
import { requireLibrary } from './services';

const MAX_THUMBS = 600;
const thumbs = new Map<string, Promise<string | null>>(); // insertion order = recency

async function loadThumb(id: string): Promise<string | null> {
  const t = await getThumbnail(requireLibrary(), id);
  return t ? URL.createObjectURL(new Blob([t.bytes], { type: t.type })) : null;
}

/** The thumbnail's object URL (null when the photo has none). */
export function thumbnailUrl(id: string): Promise<string | null> {
  let p = thumbs.get(id);
  if (p) {
    thumbs.delete(id);
    thumbs.set(id, p);
    return p;
  }
  p = loadThumb(id).catch(() => null);
  thumbs.set(id, p);
  while (thumbs.size > MAX_THUMBS) {
    const [oldId, old] = thumbs.entries().next().value as [string, Promise<string | null>];
    thumbs.delete(oldId);
    void old.then((u) => { if (u) URL.revokeObjectURL(u); });
  }
  return p;
}

/** Drops cached thumbnails of deleted photos. */
export function forgetThumbnails(ids: Iterable<string>): void {
  for (const id of ids) {
    const p = thumbs.get(id);
    if (!p) continue;
    thumbs.delete(id);
    void p.then((u) => { if (u) URL.revokeObjectURL(u); });
  }
}

/** The best image of a photo: the original when it is kept, else the thumbnail. Caller revokes the URL. */
export async function photoBlob(id: string): Promise<Blob | null> {
  const lib = requireLibrary();
  const original = await getOriginal(lib, id);
  if (original) return original.blob;
  const t = await getThumbnail(lib, id);
  return t ? new Blob([t.bytes], { type: t.type }) : null;
}
