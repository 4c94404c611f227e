// Drop photos or whole folders here. Files that are not photos, or are damaged, are listed with the reason
// in the import report; they never stop the others.
import { useState, type DragEvent } from 'react';
import { readDropped, takeDropped } from '../../app/collectFiles';
import { importFiles } from '../../app/importFiles';
import { reportError } from '../../app/report';

export function DropZone() {
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    const dropped = takeDropped(e.dataTransfer); // before any await: the items go away after the event
    void readDropped(dropped)
      .then(({ files, problems }) => importFiles(files, problems))
      .catch((err: unknown) => reportError(err, 'import'));
  };
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="dropzone"
      onDragEnter={(e) => { e.preventDefault(); setOver(true); }}
      onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; }}
      onDragLeave={(e) => { if (e.currentTarget === e.target) setOver(false); }}
      onDrop={onDrop}
    >
      <p><strong>Drop photos or folders here</strong></p>
      <p className="muted">or paste images (Ctrl+V / ⌘V), or use the buttons below.</p>
    </div>
  );
}
