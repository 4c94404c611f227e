// "Load a model from a folder": pick a model package folder (manifest.json, tokenizer.json, .onnx files);
// the engine checks every file before it replaces the current model.
import { useRef } from 'react';
import { loadModel } from '../../app/modelLoader';

export function LoadModelFolderButton() {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" onClick={() => input.current?.click()}>Load a model folder…</button>
      <input
        ref={input} type="file" hidden data-testid="model-folder-input"
        // @ts-expect-error webkitdirectory is not in React's input attributes, Chromium and Firefox support it
        webkitdirectory=""
        multiple
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = '';
          if (files.length) void loadModel({ kind: 'files', files });
        }}
      />
    </>
  );
}
