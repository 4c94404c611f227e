// "Import library": adds the photos and chats of an exported library file (duplicates are left as they are).
import { useRef, useState } from 'react';
import { importFromFile } from '../../app/libraryOps';
import { reportError } from '../../app/report';
import { LIBRARY_FILE_EXTENSION } from '../../storage';
import { plural } from '../format';

export function ImportLibraryButton() {
  const input = useRef<HTMLInputElement>(null);
  const [note, setNote] = useState<string | null>(null);
  return (
    <span>
      <button type="button" onClick={() => input.current?.click()}>Import library…</button>
      <input
        ref={input} type="file" hidden accept={LIBRARY_FILE_EXTENSION} data-testid="import-library-input"
        onChange={async (e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (!file) return;
          setNote('Importing…');
          try {
            const r = await importFromFile(file, (done, total) => setNote(`Importing ${done} of ${total}…`));
            const parts = [`${plural(r.imported.length, 'photo')} imported`];
            if (r.duplicates.length) parts.push(`${r.duplicates.length} already here`);
            if (r.skipped.length) parts.push(`${r.skipped.length} items skipped (${r.skipped.slice(0, 3).map((s) => s.reason).join('; ')})`);
            if (r.stoppedBy) parts.push('stopped: storage is full');
            setNote(`${parts.join(', ')}.`);
          } catch (err) {
            setNote(null);
            reportError(err, 'storage');
          }
        }}
      />
      {note && <span className="small" role="status" data-testid="import-library-note"> {note}</span>}
    </span>
  );
}
