// One gallery cell: thumbnail, status, name; Enter/click opens the photo, Space or the checkbox selects it.
import { memo } from 'react';
import { useLibrary } from '../../state/library';
import { useView, viewActions } from '../../state/view';
import { Thumbnail } from './Thumbnail';

const STATUS_TEXT = { pending: 'waiting', indexing: 'indexing', indexed: 'indexed', failed: 'failed', stale: 'stale' } as const;

export const PhotoCell = memo(function PhotoCell({ photoId, tabIndex }: { photoId: string; tabIndex: 0 | -1 }) {
  const photo = useLibrary((s) => s.photos.get(photoId));
  const selected = useView((s) => s.selected.has(photoId));
  if (!photo) return null;
  return (
    <div className={`cell${selected ? ' selected' : ''}`} data-photo-id={photoId} data-status={photo.status}>
      <button
        type="button" className="cell-open" tabIndex={tabIndex}
        aria-label={`${photo.name}, ${STATUS_TEXT[photo.status]}${selected ? ', selected' : ''}`}
        aria-keyshortcuts="Enter Space"
        onClick={() => viewActions.openPhoto(photoId)}
        onKeyDown={(e) => {
          if (e.key === ' ') {
            e.preventDefault();
            viewActions.toggleSelected(photoId);
          }
        }}
      >
        <Thumbnail photoId={photoId} alt="" />
        <span className="cell-name">{photo.name}</span>
      </button>
      <span className={`badge badge-${photo.status}`}>{STATUS_TEXT[photo.status]}</span>
      <input
        type="checkbox" className="cell-select" tabIndex={-1} checked={selected}
        aria-label={`Select ${photo.name}`} onChange={() => viewActions.toggleSelected(photoId)}
      />
    </div>
  );
});
