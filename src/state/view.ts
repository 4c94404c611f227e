// What the person is looking at: gallery sort and filter, the selection, the open photo, and which dialog is
// open. Plain UI state in a module-level store, so actions outside React (e.g. "delete selected") can read it.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { PhotoStatus } from '../storage/records';

export type GallerySort = 'newest' | 'oldest';
export type GalleryFilter = 'all' | 'indexed' | 'pending' | 'failed' | 'stale';
export type Dialog = 'settings' | 'model-card' | null;

export interface ViewState {
  sort: GallerySort;
  filter: GalleryFilter;
  selected: ReadonlySet<string>;
  openPhotoId: string | null;
  dialog: Dialog;
}

export const initialViewState: ViewState = { sort: 'newest', filter: 'all', selected: new Set(), openPhotoId: null, dialog: null };

export const viewStore = createStore<ViewState>()(() => initialViewState);

export const viewActions = {
  setSort(sort: GallerySort): void {
    viewStore.setState({ sort });
  },
  setFilter(filter: GalleryFilter): void {
    viewStore.setState({ filter });
  },
  toggleSelected(id: string): void {
    viewStore.setState((s) => {
      const selected = new Set(s.selected);
      if (selected.has(id)) selected.delete(id);
      else selected.add(id);
      return { selected };
    });
  },
  select(ids: Iterable<string>): void {
    viewStore.setState({ selected: new Set(ids) });
  },
  /** Drops ids that are gone from the library from the selection (and closes the photo if it is gone). */
  forget(ids: Iterable<string>): void {
    viewStore.setState((s) => {
      const selected = new Set(s.selected);
      let open = s.openPhotoId;
      for (const id of ids) {
        selected.delete(id);
        if (id === open) open = null;
      }
      return { selected, openPhotoId: open };
    });
  },
  openPhoto(id: string | null): void {
    viewStore.setState({ openPhotoId: id });
  },
  openDialog(dialog: Dialog): void {
    viewStore.setState({ dialog });
  },
  reset(): void {
    viewStore.setState(initialViewState, true);
  },
};

export function useView<T>(selector: (s: ViewState) => T): T {
  return useStore(viewStore, selector);
}

/** The statuses a gallery filter shows ('indexing' counts as pending). */
export function filterStatuses(filter: GalleryFilter): readonly PhotoStatus[] | null {
  switch (filter) {
    case 'all': return null;
    case 'pending': return ['pending', 'indexing'];
    default: return [filter];
  }
}
