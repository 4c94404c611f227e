// `fwd2bot index <folder>`: compress every PNG photo under a folder (Fwd2Bot pass 1) and write a library
// export file (src/storage/libraryFile.ts format) that the web app's "Import library" reads. The file is
// streamed (one photo's blobs at a time) into a temporary file and renamed when complete.

import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { Engine } from '../src/engine/core/engine';
import { applyOrientation, boxResize, compositeOnWhite } from '../src/model/image';
import { f32ArrayToF16 } from '../src/shared/fp16';
import { LibraryWriter } from '../src/storage/libraryFile';
import type { PhotoRecord } from '../src/storage/records';
import { encodeTokens } from '../src/storage/tokenCodec';
import { decodePng, encodePng } from './png';
import { progressBar, type ProgressBar } from './progress';

/** Longest edge of the thumbnails written with each photo (the web app's THUMBNAIL_MAX_EDGE). */
export const CLI_THUMBNAIL_EDGE = 320;
const IMAGE_EXT = /\.(png|jpe?g|webp|gif|heic|heif|avif|bmp|tiff?)$/i;

export interface IndexOptions {
  out: string;
  /** Progress bar (default: on stderr). */
  progress?: (total: number) => ProgressBar;
  generator?: string;
  now?: () => number;
}

export interface IndexReport {
  indexed: number;
  failed: { file: string; reason: string }[];
  duplicates: string[];
  bytes: number;
  photosPerSecond: number;
}

/** Image files under `dir`, sorted by path (recursive; hidden entries skipped). */
export async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

export async function indexFolder(engine: Engine, dir: string, opts: IndexOptions): Promise<IndexReport> {
  const files = await listImages(dir);
  const bar = (opts.progress ?? ((n) => progressBar(n, 'photos')))(files.length);
  const now = opts.now ?? Date.now;
  const writer = new LibraryWriter({ generator: opts.generator ?? 'fwd2bot-cli 0.1.0' });
  const tmp = `${opts.out}.partial`;
  const fh = await open(tmp, 'w');
  const report: IndexReport = { indexed: 0, failed: [], duplicates: [], bytes: 0, photosPerSecond: 0 };
  const seen = new Set<string>();
  const t0 = performance.now();
  try {
    const write = async (parts: Uint8Array[]) => { for (const p of parts) await fh.write(p); };
    await write(writer.start());
    for (const [i, file] of files.entries()) {
      const name = relative(dir, file);
      bar.tick(i, name);
      try {
        const bytes = new Uint8Array(await readFile(file));
        const id = createHash('sha256').update(bytes).digest('hex');
        if (seen.has(id)) { report.duplicates.push(name); continue; }
        const png = decodePng(bytes, name);
        const c = await engine.compressImage(png, png.orientation);
        const upright = applyOrientation(compositeOnWhite(png), png.orientation);
        const scale = Math.min(1, CLI_THUMBNAIL_EDGE / Math.max(upright.width, upright.height));
        const tw = Math.max(1, Math.round(upright.width * scale)), th = Math.max(1, Math.round(upright.height * scale));
        const at = now();
        const photo: PhotoRecord = {
          id, name: basename(file), type: 'image/png', byteSize: bytes.length, width: upright.width, height: upright.height,
          addedAt: at, status: 'indexed', modelId: c.modelId, indexedAt: at,
        };
        await write(writer.addPhoto({
          photo,
          thumbnail: { type: 'image/png', width: tw, height: th, bytes: encodePng(boxResize(upright, tw, th)) },
          tokens: [{ modelId: c.modelId, bytes: encodeTokens({ modelId: c.modelId, K: c.K, d: c.d, data: c.tokens }) }],
          embeddings: [{ modelId: c.modelId, d: c.d, vector: f32ArrayToF16(c.embedding) }],
        }));
        seen.add(id);
        report.indexed++;
      } catch (e) {
        report.failed.push({ file: name, reason: e instanceof Error ? e.message : String(e) });
      }
    }
    await write(writer.finish());
    await fh.close();
    await rename(tmp, opts.out);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  report.bytes = writer.bytesWritten;
  report.photosPerSecond = report.indexed / Math.max((performance.now() - t0) / 1000, 1e-9);
  bar.finish(`Indexed ${report.indexed} of ${files.length} photos into ${opts.out} (${(report.bytes / 1024).toFixed(0)} KiB, ${report.photosPerSecond.toFixed(2)} photos/s)`
    + (report.failed.length ? `, ${report.failed.length} failed` : '') + (report.duplicates.length ? `, ${report.duplicates.length} duplicates skipped` : ''));
  return report;
}
