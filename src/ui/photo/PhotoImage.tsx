// The photo (original when kept, else its thumbnail), with the optional attention heatmap over it.
import { useEffect, useState } from 'react';
import type { AttentionMap } from '../../app/enginePort';
import { photoBlob } from '../../app/photoImages';
import { useModel } from '../../state/model';
import { HeatmapButton } from './HeatmapButton';
import { HeatmapOverlay } from './HeatmapOverlay';

export function PhotoImage({ photoId, name, indexed }: { photoId: string; name: string; indexed: boolean }) {
  const [url, setUrl] = useState<string | null>(null);
  const [map, setMap] = useState<AttentionMap | null>(null);
  const canAttend = useModel((m) => m.kind === 'ready' && m.info.capabilities.attentionMap);
  useEffect(() => {
    let live = true;
    let made: string | null = null;
    setMap(null);
    photoBlob(photoId).then((b) => {
      if (!live || !b) return;
      made = URL.createObjectURL(b);
      setUrl(made);
    }, () => {});
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [photoId]);
  return (
    <figure className="photo-figure">
      <div className="photo-frame">
        {url ? <img src={url} alt={name} /> : <span className="thumb thumb-empty photo-placeholder" role="img" aria-label={name} />}
        {map && <HeatmapOverlay map={map} />}
      </div>
      {indexed && (
        <figcaption>
          {canAttend
            ? <HeatmapButton photoId={photoId} map={map} onMap={setMap} />
            : <span className="muted small">Heatmap: this engine does not report the summary tokens' attention yet.</span>}
        </figcaption>
      )}
    </figure>
  );
}
