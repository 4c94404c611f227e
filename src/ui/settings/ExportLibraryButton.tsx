// "Export library": the whole library (photos, tokens, chats, settings) as one file to keep or move.
import { useState } from 'react';
import { exportToFile } from '../../app/libraryOps';
import { reportError } from '../../app/report';

export function ExportLibraryButton() {
  const [progress, setProgress] = useState<string | null>(null);
  return (
    <span>
      <button
        type="button" disabled={progress !== null}
        onClick={async () => {
          setProgress('Preparing…');
          try {
            const { blob, fileName } = await exportToFile((done, total) => setProgress(`${done} of ${total} photos`));
            const url = URL.createObjectURL(blob);
            const a = document.createElement('a');
            a.href = url;
            a.download = fileName;
            document.body.append(a);
            a.click();
            a.remove();
            setTimeout(() => URL.revokeObjectURL(url), 60_000);
          } catch (e) {
            reportError(e, 'storage');
          } finally {
            setProgress(null);
          }
        }}
      >
        Export library
      </button>
      {progress && <span className="muted small" role="status"> {progress}</span>}
    </span>
  );
}
