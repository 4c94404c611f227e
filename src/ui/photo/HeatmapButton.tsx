// Shows / hides the heatmap of what the summary tokens attended to in pass 1.
import { useState } from 'react';
import { attentionFor } from '../../app/attention';
import type { AttentionMap } from '../../app/enginePort';
import { reasonOf } from '../../app/report';

export function HeatmapButton({ photoId, map, onMap }: { photoId: string; map: AttentionMap | null; onMap: (m: AttentionMap | null) => void }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  return (
    <>
      <button
        type="button" aria-pressed={map !== null} disabled={busy}
        onClick={async () => {
          if (map) return onMap(null);
          setBusy(true);
          setNote(null);
          try {
            const m = await attentionFor(photoId);
            if (m) onMap(m);
            else setNote('The engine cannot compute the attention map for this model.');
          } catch (e) {
            setNote(reasonOf(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Computing heatmap…' : map ? 'Hide heatmap' : 'Show heatmap'}
      </button>
      {note && <span className="muted small" role="status"> {note}</span>}
    </>
  );
}
