// Re-index photos whose tokens belong to another model ("stale").
import { useState } from 'react';
import { reindexStalePhotos } from '../../app/libraryOps';
import { reportError } from '../../app/report';
import { plural } from '../format';

export function ReindexStaleButton({ stale }: { stale: number }) {
  const [note, setNote] = useState<string | null>(null);
  if (stale === 0 && !note) return null;
  return (
    <p>
      {stale > 0 && (
        <button
          type="button"
          onClick={async () => {
            try {
              const r = await reindexStalePhotos();
              setNote(r.needOriginal ? `${plural(r.needOriginal, 'photo')} need their file added again (the original was not kept).` : null);
            } catch (e) {
              reportError(e, 'indexing');
            }
          }}
        >
          Re-index {plural(stale, 'stale photo')}
        </button>
      )}
      {note && <span className="muted"> {note}</span>}
    </p>
  );
}
