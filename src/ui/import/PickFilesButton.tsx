// "Choose photos…": the system file picker, several files at once.
import { useRef } from 'react';
import { importFiles } from '../../app/importFiles';
import { reportError } from '../../app/report';

export function PickFilesButton() {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" onClick={() => input.current?.click()}>Choose photos…</button>
      <input
        ref={input} type="file" accept="image/*" multiple hidden data-testid="pick-files-input"
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = '';
          if (files.length) importFiles(files).catch((err: unknown) => reportError(err, 'import'));
        }}
      />
    </>
  );
}
