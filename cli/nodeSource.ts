// A model package in a folder of the local filesystem, as a PackageSource (Node only).

import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { ModelFormatError, ModelLoadError } from '../src/model/errors';
import type { PackageSource } from '../src/model/package';

export function folderSource(dir: string): PackageSource {
  const root = resolve(dir);
  return {
    description: root,
    async read(path, opts = {}) {
      const full = resolve(root, path);
      if (!full.startsWith(root + sep)) throw ModelFormatError.forFile(path, 'points outside the package folder');
      opts.signal?.throwIfAborted();
      try {
        const b = await readFile(full);
        opts.onBytes?.(b.length);
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw ModelFormatError.forFile(path, `is missing from ${root}`, { hint: 'Point --model at a model package folder (it holds manifest.json), e.g. public/models/default.' });
        }
        throw new ModelLoadError(`Reading ${full} failed: ${e instanceof Error ? e.message : String(e)}`, { data: { file: path }, cause: e });
      }
    },
  };
}
