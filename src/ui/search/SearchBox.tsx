// Search the library by text: results update as you type (debounced), ranked by cosine similarity.
import { useEffect, useRef, useState } from 'react';
import { runSearch } from '../../app/search';
import { useModel } from '../../state/model';
import { searchStore } from '../../state/search';

export const SEARCH_DEBOUNCE_MS = 250;

export function SearchBox() {
  const ready = useModel((m) => m.kind === 'ready');
  const [text, setText] = useState(() => {
    const q = searchStore.getState().query;
    return q?.kind === 'text' ? q.text : '';
  });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => { if (timer.current) clearTimeout(timer.current); }, []);
  const schedule = (value: string) => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void runSearch(value.trim() ? { kind: 'text', text: value } : null), SEARCH_DEBOUNCE_MS);
  };
  return (
    <form
      role="search" className="search-box"
      onSubmit={(e) => {
        e.preventDefault();
        if (timer.current) clearTimeout(timer.current);
        void runSearch(text.trim() ? { kind: 'text', text } : null);
      }}
    >
      <label htmlFor="search-input">Describe a photo</label>
      <input
        id="search-input" type="search" value={text} autoComplete="off" spellCheck={false}
        placeholder={ready ? 'e.g. a large red circle' : 'Search needs the model: loading…'}
        onChange={(e) => { setText(e.target.value); schedule(e.target.value); }}
      />
    </form>
  );
}
