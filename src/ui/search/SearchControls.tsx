// How many results (top-k) and the lowest similarity shown (threshold); changing either re-ranks.
import { runSearch } from '../../app/search';
import { searchActions, useSearch } from '../../state/search';

export function SearchControls() {
  const topK = useSearch((s) => s.topK);
  const threshold = useSearch((s) => s.threshold);
  return (
    <div className="search-controls">
      <label>
        Results (top-k)
        <input
          type="number" min={1} max={200} value={topK}
          onChange={(e) => {
            const v = Math.max(1, Math.min(200, Math.round(Number(e.target.value) || 1)));
            searchActions.setControls({ topK: v });
            void runSearch();
          }}
        />
      </label>
      <label>
        Minimum similarity <output>{threshold.toFixed(2)}</output>
        <input
          type="range" min={-1} max={1} step={0.05} value={threshold}
          onChange={(e) => {
            searchActions.setControls({ threshold: Number(e.target.value) });
            void runSearch();
          }}
        />
      </label>
    </div>
  );
}
