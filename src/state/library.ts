// The photo library as the UI sees it: every photo record (metadata only, ~300 bytes each, so 10k photos are
// ~3 MB), the connection state, the storage estimate, and "storage is full" as visible state. Written by
// src/app/librarySync.ts from the library's events; read by React through `useLibrary`.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ConnectionState, StorageEstimateInfo } from '../storage/events';
import type { PhotoRecord, PhotoStatus } from '../storage/records';

export interface LibraryState {
  /** 'opening' until the first full listing is in; 'failed' when IndexedDB cannot be opened. */
  status: 'opening' | 'open' | 'failed';
  /** Why it failed, or the connection message (blocked / outdated / terminated). */
  message: string | null;
  connection: ConnectionState | 'connecting';
  /** id -> record; replaced (never mutated) on every change. */
  photos: ReadonlyMap<string, PhotoRecord>;
  /** Bumps on every change (cheap dependency for derived lists). */
  version: number;
  /** Bumps when chats of these photos changed (another tab, or this one). */
  chatVersion: number;
  estimate: StorageEstimateInfo | null;
  /** Set when a write failed because the site's storage is full; cleared by the user or a later successful write. */
  storageFull: string | null;
}

export const initialLibraryState: LibraryState = {
  status: 'opening', message: null, connection: 'connecting', photos: new Map(), version: 0, chatVersion: 0,
  estimate: null, storageFull: null,
};

export const libraryStore = createStore<LibraryState>()(() => initialLibraryState);

export const libraryActions = {
  setAll(records: readonly PhotoRecord[]): void {
    libraryStore.setState((s) => ({ status: 'open', photos: new Map(records.map((r) => [r.id, r])), version: s.version + 1 }));
  },
  /** Puts records in (new or updated) and removes ids; one state change. */
  patch(upserts: readonly PhotoRecord[], removals: readonly string[] = []): void {
    if (upserts.length === 0 && removals.length === 0) return;
    libraryStore.setState((s) => {
      const photos = new Map(s.photos);
      for (const r of upserts) photos.set(r.id, r);
      for (const id of removals) photos.delete(id);
      return { photos, version: s.version + 1 };
    });
  },
  failed(message: string): void {
    libraryStore.setState({ status: 'failed', message });
  },
  setConnection(connection: ConnectionState, message: string): void {
    libraryStore.setState({ connection, message: connection === 'open' ? null : message });
  },
  setEstimate(estimate: StorageEstimateInfo): void {
    libraryStore.setState({ estimate });
  },
  setStorageFull(message: string | null): void {
    libraryStore.setState({ storageFull: message });
  },
  chatsChanged(): void {
    libraryStore.setState((s) => ({ chatVersion: s.chatVersion + 1 }));
  },
  reset(): void {
    libraryStore.setState(initialLibraryState, true);
  },
};

export function useLibrary<T>(selector: (s: LibraryState) => T): T {
  return useStore(libraryStore, selector);
}

/** Photos per status. */
export function countStatuses(photos: ReadonlyMap<string, PhotoRecord>): Record<PhotoStatus, number> {
  const c: Record<PhotoStatus, number> = { pending: 0, indexing: 0, indexed: 0, failed: 0, stale: 0 };
  for (const p of photos.values()) c[p.status]++;
  return c;
}
