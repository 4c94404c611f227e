// "Photos": sort, filter, select, delete, and the virtualised grid of thumbnails.
import { useCallback } from 'react';
import { useLibrary } from '../../state/library';
import { DeleteSelectedButton } from './DeleteSelectedButton';
import { FilterSelect } from './FilterSelect';
import { PhotoCell } from './PhotoCell';
import { SelectAllButton } from './SelectAllButton';
import { SortSelect } from './SortSelect';
import { useGalleryIds } from './useGalleryIds';
import { VirtualGrid } from './VirtualGrid';
import './gallery.css';

export const CELL_SIZE = 148;

export function GalleryPanel() {
  const ids = useGalleryIds();
  const status = useLibrary((s) => s.status);
  const total = useLibrary((s) => s.photos.size);
  const keyOf = useCallback((i: number) => ids[i], [ids]);
  const renderCell = useCallback((i: number, tabIndex: 0 | -1) => <PhotoCell photoId={ids[i]} tabIndex={tabIndex} />, [ids]);
  return (
    <section className="panel gallery" aria-labelledby="gallery-heading">
      <div className="row-between">
        <h2 id="gallery-heading">Photos <span className="muted">({ids.length}{ids.length !== total ? ` of ${total}` : ''})</span></h2>
        <div className="toolbar">
          <SortSelect />
          <FilterSelect />
          <SelectAllButton ids={ids} />
          <DeleteSelectedButton />
        </div>
      </div>
      {status === 'opening' && <p className="muted">Opening the library…</p>}
      {status === 'open' && total === 0 && <p className="muted">No photos yet. Add some above, or try the sample photos.</p>}
      {ids.length > 0 && (
        <>
          <p className="muted small" id="gallery-keys">Arrow keys move, Enter opens a photo, Space selects it.</p>
          <VirtualGrid count={ids.length} cellSize={CELL_SIZE} label="Photos" keyOf={keyOf} renderCell={renderCell} />
        </>
      )}
    </section>
  );
}
