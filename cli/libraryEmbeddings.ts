// Reading the search embeddings of one model out of a library file (Node), without reading thumbnails or
// originals: only the manifest and each photo's embedding blob (crc32-checked).

import { open } from 'node:fs/promises';
import { crc32 } from '../src/storage/crc32';
import { openLibraryFile, type ByteSource } from '../src/storage/libraryFile';
import type { EmbeddingMatrix } from '../src/storage/vectors';

export interface LibraryEmbeddings extends EmbeddingMatrix {
  /** Photo names by row (photoIds[i] is named names[i]). */
  names: string[];
  /** Photos left out: damaged blobs, or indexed with another model. */
  skipped: { name: string; reason: string }[];
}

async function fileSource(path: string): Promise<{ source: ByteSource; close(): Promise<void> }> {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    source: {
      size,
      async read(offset, length) {
        const b = new Uint8Array(length);
        const { bytesRead } = await fh.read(b, 0, length, offset);
        return b.subarray(0, bytesRead);
      },
    },
    close: () => fh.close(),
  };
}

export async function readLibraryEmbeddings(path: string, modelId: string, d: number): Promise<LibraryEmbeddings> {
  const { source, close } = await fileSource(path);
  try {
    const reader = await openLibraryFile(source);
    const photoIds: string[] = [], names: string[] = [], rows: Uint16Array[] = [];
    const skipped: LibraryEmbeddings['skipped'] = [];
    for (const p of reader.manifest.photos) {
      const ref = p.embeddings.find((e) => e.modelId === modelId);
      if (!ref) { skipped.push({ name: p.photo.name, reason: `not indexed with ${modelId}` }); continue; }
      if (ref.d !== d || ref.length !== 2 * d) { skipped.push({ name: p.photo.name, reason: `embedding of d=${ref.d}, the model has d=${d}` }); continue; }
      const b = (await source.read(ref.offset, ref.length)).slice();
      if (b.length !== ref.length || crc32(b) !== ref.crc32) { skipped.push({ name: p.photo.name, reason: 'damaged embedding (checksum)' }); continue; }
      rows.push(new Uint16Array(b.buffer, 0, d));
      photoIds.push(p.photo.id);
      names.push(p.photo.name);
    }
    const data = new Uint16Array(rows.length * d); // (N, d) fp16
    rows.forEach((r, i) => data.set(r, i * d));
    return { modelId, d, photoIds, data, names, skipped };
  } finally {
    await close();
  }
}
