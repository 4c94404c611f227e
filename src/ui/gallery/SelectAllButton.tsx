// Select every photo the gallery shows (after filtering), or clear the selection.
import { useView, viewActions } from '../../state/view';

export function SelectAllButton({ ids }: { ids: string[] }) {
  const selected = useView((s) => s.selected.size);
  return selected > 0
    ? <button type="button" onClick={() => viewActions.select([])}>Clear selection ({selected})</button>
    : <button type="button" disabled={ids.length === 0} onClick={() => viewActions.select(ids)}>Select all shown</button>;
}
