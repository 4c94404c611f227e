// Sort the gallery by date (taken, else added).
import { useView, viewActions, type GallerySort } from '../../state/view';

export function SortSelect() {
  const sort = useView((s) => s.sort);
  return (
    <label>
      Sort
      <select value={sort} onChange={(e) => viewActions.setSort(e.target.value as GallerySort)}>
        <option value="newest">Newest first</option>
        <option value="oldest">Oldest first</option>
      </select>
    </label>
  );
}
