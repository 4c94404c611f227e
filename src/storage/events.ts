// What the photo library tells the app, as typed events. The app subscribes once (`library.subscribe`) and copies
// what it needs into the zustand store; storage never imports the UI or the store.

import type { StorageFullError } from './errors';

export type LibraryChangeKind =
  | 'photos-added' | 'photos-updated' | 'photos-deleted' | 'cleared' | 'imported' | 'chats-changed' | 'settings-changed';

export interface LibraryChange {
  kind: LibraryChangeKind;
  photoIds: string[]; // the photos concerned ([] for 'cleared', 'settings-changed')
}

export interface StorageEstimateInfo {
  usage: number | null; // bytes used by this site, null when the browser does not say
  quota: number | null; // bytes the site may use
  persisted: boolean; // true when the browser will not evict the library under storage pressure
}

/**
 * connection states:
 *   'open'        connected
 *   'blocked'     this tab wants to upgrade the schema but another tab holds the old version open (ask to close it)
 *   'outdated'    another tab opened a newer schema; this tab closed its connection (ask to reload)
 *   'terminated'  the browser closed the connection (disk error, storage cleared); the next call reopens
 */
export type ConnectionState = 'open' | 'blocked' | 'outdated' | 'terminated';

export type StorageEvent =
  | { type: 'library-changed'; change: LibraryChange; remote: boolean } // remote: made by another tab
  | { type: 'storage-full'; error: StorageFullError }
  | { type: 'quota'; estimate: StorageEstimateInfo }
  | { type: 'connection'; state: ConnectionState; message: string };

export type StorageListener = (event: StorageEvent) => void;

/** A set of listeners; a throwing listener is reported to the console and does not stop the others. */
export class Emitter {
  private readonly listeners = new Set<StorageListener>();

  subscribe(listener: StorageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StorageEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (e) {
        console.error('storage listener failed', e);
      }
    }
  }
}
