// "Try sample photos": adds the pictures bundled with the model (rendered by the synthetic-world generator).
import { useState } from 'react';
import { reportError } from '../../app/report';
import { trySamplePhotos } from '../../app/samples';
import { useModel } from '../../state/model';

export function TrySamplesButton() {
  const count = useModel((m) => (m.kind === 'ready' && m.info.baseUrl ? m.info.samples.length : 0));
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button" className="primary" disabled={count === 0 || busy}
      title={count === 0 ? 'The sample photos come with the model; wait until it has loaded.' : undefined}
      onClick={async () => {
        setBusy(true);
        try {
          await trySamplePhotos();
        } catch (e) {
          reportError(e, 'import');
        } finally {
          setBusy(false);
        }
      }}
    >
      {busy ? 'Adding sample photos…' : `Try sample photos${count ? ` (${count})` : ''}`}
    </button>
  );
}
