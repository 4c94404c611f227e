// "Choose a folder…": every file of a folder and its subfolders.
import { useRef } from 'react';
import { importFiles } from '../../app/importFiles';
import { reportError } from '../../app/report';

export function PickFolderButton() {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" onClick={() => input.current?.click()}>Choose a folder…</button>
      <input
        ref={input} type="file" multiple hidden data-testid="pick-folder-input"
        // @ts-expect-error webkitdirectory is not in React's input attributes; Chromium and Firefox support it
        webkitdirectory=""
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = '';
          if (files.length) importFiles(files).catch((err: unknown) => reportError(err, 'import'));
        }}
      />
    </>
  );
}
