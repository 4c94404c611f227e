// Paste images from the clipboard anywhere on the page (a paste into a text field with no files in it stays
// a text paste).
import { useEffect } from 'react';
import { readDropped, takeDropped } from '../../app/collectFiles';
import { importFiles } from '../../app/importFiles';
import { reportError } from '../../app/report';

export function usePasteImport(): void {
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const dt = e.clipboardData;
      if (!dt || ![...dt.items].some((i) => i.kind === 'file')) return;
      e.preventDefault();
      const dropped = takeDropped(dt);
      void readDropped(dropped)
        .then(({ files, problems }) => importFiles(files.map((f, i) => (f.name === 'image.png' ? renamePasted(f, i) : f)), problems))
        .catch((err: unknown) => reportError(err, 'import'));
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  }, []);
}

/** Clipboard images are all called "image.png"; give them a name that says when they were pasted. */
function renamePasted(f: File, i: number): File {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return new File([f], `pasted-${stamp}${i ? `-${i}` : ''}.png`, { type: f.type, lastModified: f.lastModified });
}
