// Per-photo status of the queue: indexing now, waiting, and failed with the reason (and Retry).
import { useMemo } from 'react';
import { useLibrary } from '../../state/library';
import { viewActions } from '../../state/view';
import type { PhotoRecord } from '../../storage/records';
import { RetryButton } from './RetryButton';

const SHOWN = 50;
const ORDER: Record<string, number> = { indexing: 0, pending: 1, failed: 2 };

export function QueueList() {
  const photos = useLibrary((s) => s.photos);
  const rows = useMemo(() => {
    const list: PhotoRecord[] = [];
    for (const p of photos.values()) if (p.status in ORDER) list.push(p);
    return list.sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1));
  }, [photos]);
  if (rows.length === 0) return null;
  const failed = rows.filter((p) => p.status === 'failed').map((p) => p.id);
  return (
    <div className="queue-list">
      <ul data-testid="queue-list">
        {rows.slice(0, SHOWN).map((p) => (
          <li key={p.id} data-status={p.status} data-photo-id={p.id}>
            <span className={`badge badge-${p.status}`}>{p.status === 'indexing' ? 'indexing' : p.status === 'pending' ? 'waiting' : 'failed'}</span>
            <button type="button" className="link" onClick={() => viewActions.openPhoto(p.id)}>{p.name}</button>
            {p.failReason && <span className="reason"> — {p.failReason}</span>}
          </li>
        ))}
      </ul>
      {rows.length > SHOWN && <p className="muted">and {rows.length - SHOWN} more</p>}
      {failed.length > 0 && <RetryButton ids={failed} label={`Retry ${failed.length} failed`} />}
    </div>
  );
}
