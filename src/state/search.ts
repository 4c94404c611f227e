// Search: the query (text, or "photos like this one"), the controls (top-k, threshold) and the ranked hits.
// Written by src/app/search.ts.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export interface SearchHit {
  photoId: string;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

export type SearchQuery = { kind: 'text'; text: string } | { kind: 'similar'; photoId: string };

export interface SearchState {
  query: SearchQuery | null;
  topK: number;
  /** Hits below this cosine similarity are left out. */
  threshold: number;
  status: 'idle' | 'searching' | 'done' | 'failed';
  hits: SearchHit[];
  /** How many indexed photos were compared. */
  searched: number;
  message: string | null;
  /** How the last search ranked the library and why (src/app/rankPath.ts), e.g. "JS scan on the main thread (measured …)". */
  ranking: string | null;
}

export const initialSearchState: SearchState = {
  query: null, topK: 12, threshold: 0, status: 'idle', hits: [], searched: 0, message: null, ranking: null,
};

export const searchStore = createStore<SearchState>()(() => initialSearchState);

export const searchActions = {
  setControls(c: Partial<Pick<SearchState, 'topK' | 'threshold'>>): void {
    searchStore.setState(c);
  },
  searching(query: SearchQuery): void {
    searchStore.setState({ query, status: 'searching', message: null });
  },
  done(hits: SearchHit[], searched: number, ranking: string | null = null): void {
    searchStore.setState({ status: 'done', hits, searched, ranking });
  },
  failed(message: string): void {
    searchStore.setState({ status: 'failed', hits: [], message });
  },
  /** Deleted photos leave the results (and a "like this photo" search about one of them ends). */
  forget(ids: Iterable<string>): void {
    const gone = new Set(ids);
    searchStore.setState((s) => {
      if (s.query?.kind === 'similar' && gone.has(s.query.photoId)) return { query: null, status: 'idle', hits: [], searched: 0, message: null };
      const hits = s.hits.filter((h) => !gone.has(h.photoId));
      return hits.length === s.hits.length ? s : { hits, searched: Math.max(0, s.searched - (s.hits.length - hits.length)) };
    });
  },
  clear(): void {
    searchStore.setState({ query: null, status: 'idle', hits: [], searched: 0, message: null });
  },
  reset(): void {
    searchStore.setState(initialSearchState, true);
  },
};

export function useSearch<T>(selector: (s: SearchState) => T): T {
  return useStore(searchStore, selector);
}
