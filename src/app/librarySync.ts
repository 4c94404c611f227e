// Keeps the library store in step with IndexedDB: one full listing when the library opens, then the
// library's events (this tab's writes and other tabs') patched in, coalesced per animation-frame-ish tick so
// an import of 500 photos is a handful of store updates, not 500.

import { libraryActions } from '../state/library';
import { searchActions } from '../state/search';
import { viewActions } from '../state/view';
import { getPhotos, listPhotos, type PhotoCursor } from '../storage';
import type { Library } from '../storage/library';
import type { StorageEvent } from '../storage/events';
import type { PhotoRecord } from '../storage/records';
import { forgetThumbnails } from './photoImages';
import { reportError } from './report';

const PAGE = 2000;
const FLUSH_MS = 40;

/** Every photo record, newest first, read in pages. */
export async function listAllPhotos(lib: Library): Promise<PhotoRecord[]> {
  const all: PhotoRecord[] = [];
  let after: PhotoCursor | null = null;
  do {
    const page = await listPhotos(lib, { limit: PAGE, after });
    all.push(...page.photos);
    after = page.next;
  } while (after);
  return all;
}

export interface LibrarySync {
  /** Resolves once the first full listing is in the store. */
  ready: Promise<void>;
  stop(): void;
}

/** Subscribes to the library and mirrors it into the store; `onWork` is called when photos may need indexing. */
export function syncLibrary(lib: Library, onWork: () => void): LibrarySync {
  let fullReload = false;
  const changed = new Set<string>();
  const removed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const flush = async () => {
    timer = null;
    if (stopped) return;
    try {
      if (fullReload) {
        fullReload = false;
        changed.clear();
        removed.clear();
        libraryActions.setAll(await listAllPhotos(lib));
        return;
      }
      const ids = [...changed];
      const gone = [...removed];
      changed.clear();
      removed.clear();
      const records = ids.length ? await getPhotos(lib, ids) : [];
      const upserts: PhotoRecord[] = [];
      records.forEach((r, i) => (r ? upserts.push(r) : gone.push(ids[i])));
      libraryActions.patch(upserts, gone);
      if (gone.length) {
        viewActions.forget(gone);
        searchActions.forget(gone);
        forgetThumbnails(gone);
      }
    } catch (e) {
      reportError(e, 'storage');
    }
  };
  const schedule = () => {
    timer ??= setTimeout(() => void flush(), FLUSH_MS);
  };

  const onEvent = (ev: StorageEvent) => {
    switch (ev.type) {
      case 'library-changed': {
        const { kind, photoIds } = ev.change;
        if (kind === 'cleared') {
          fullReload = true;
          viewActions.select([]);
          viewActions.openPhoto(null);
          searchActions.clear();
        } else if (kind === 'imported') fullReload = true;
        else if (kind === 'photos-deleted') for (const id of photoIds) { removed.add(id); changed.delete(id); }
        else if (kind === 'photos-added' || kind === 'photos-updated') for (const id of photoIds) changed.add(id);
        else if (kind === 'chats-changed') libraryActions.chatsChanged();
        if (kind !== 'chats-changed' && kind !== 'settings-changed') {
          libraryActions.setStorageFull(null); // a write went through: there is room again
          schedule();
        }
        if (kind === 'photos-added' || kind === 'imported' || kind === 'photos-updated') onWork();
        break;
      }
      case 'storage-full':
        libraryActions.setStorageFull(ev.error.message);
        break;
      case 'quota':
        libraryActions.setEstimate(ev.estimate);
        break;
      case 'connection':
        libraryActions.setConnection(ev.state, ev.message);
        break;
    }
  };
  const unsubscribe = lib.subscribe(onEvent);
  const ready = listAllPhotos(lib).then((all) => { if (!stopped) libraryActions.setAll(all); });
  return {
    ready,
    stop() {
      stopped = true;
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    },
  };
}
