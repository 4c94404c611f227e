// Show all photos, or only indexed / pending / failed / stale ones (with counts).
import { countStatuses, useLibrary } from '../../state/library';
import { useView, viewActions, type GalleryFilter } from '../../state/view';

export function FilterSelect() {
  const filter = useView((s) => s.filter);
  const photos = useLibrary((s) => s.photos);
  const c = countStatuses(photos);
  const options: [GalleryFilter, string, number][] = [
    ['all', 'All', photos.size], ['indexed', 'Indexed', c.indexed], ['pending', 'Pending', c.pending + c.indexing],
    ['failed', 'Failed', c.failed], ['stale', 'Stale', c.stale],
  ];
  return (
    <label>
      Show
      <select value={filter} onChange={(e) => { viewActions.setFilter(e.target.value as GalleryFilter); }}>
        {options.map(([v, text, n]) => <option key={v} value={v}>{text} ({n})</option>)}
      </select>
    </label>
  );
}
