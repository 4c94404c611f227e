// "Export library" / "Import library": the whole library as one file in the libraryFile.ts format (the same
// format the Node CLI writes). Reading happens in readonly transactions per batch; each import batch is one
// readwrite transaction, so an interrupted import leaves whole photos only.

import { putEmbedding } from './embeddingShards';
import { StorageFullError } from './errors';
import { sha256Hex } from './hash';
import type { Library } from './library';
import {
  LIBRARY_MIME_TYPE, LibraryWriter, openLibraryFile, reconcilePhoto,
  type ByteSource, type LibraryLimits, type LibraryPhotoData, type SkippedItem,
} from './libraryFile';
import type { PhotoRecord } from './records';
import { photoKeyRange } from './schema';
import { getSettings } from './settings';
import { readTokenHeader } from './tokenCodec';

/** A Blob (e.g. the File the user picked) as a ByteSource: reads only the slices asked for. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

export interface ExportOptions {
  /**
   * Include every stored original (default true: the file restores the library exactly). false makes a compact
   * file: indexed photos go without their originals; pending, failed and stale photos still carry theirs.
   */
  includeOriginals?: boolean;
  generator?: string;
  createdAt?: Date;
  batchSize?: number; // photos per read transaction (default 100)
  onProgress?: (done: number, total: number) => void;
}

const FLUSH_BYTES = 32 * 2 ** 20; // fold parts into the Blob every 32 MiB so the JS heap holds little

/** Writes the library (photos oldest first, chats, settings) into one Blob. */
export async function exportLibrary(lib: Library, opts: ExportOptions = {}): Promise<Blob> {
  const db = await lib.connection();
  const ids = await db.getAllKeysFromIndex('photos', 'by-added');
  // Every embedding shard, once (about 2*d bytes per photo and model): photo|model -> (d,) fp16 view.
  // A photo indexed after this point is exported without its embedding; import recomputes it from the tokens.
  const vectors = new Map<string, { d: number; vector: Uint16Array }>();
  for (const s of await db.getAll('embeddings')) {
    s.photoIds.forEach((id, i) => vectors.set(`${id}\u0000${s.modelId}`, { d: s.d, vector: s.vectors.subarray(i * s.d, (i + 1) * s.d) }));
  }
  const writer = new LibraryWriter({ generator: opts.generator ?? 'fwd2bot-web', createdAt: opts.createdAt });
  let out = new Blob(writer.start() as Uint8Array<ArrayBuffer>[]);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const exported = new Set<string>();
  const batchSize = opts.batchSize ?? 100;
  const includeOriginals = opts.includeOriginals ?? true;
  for (let i = 0; i < ids.length; i += batchSize) {
    const batch = ids.slice(i, i + batchSize);
    const rows = await lib.read(['photos', 'thumbnails', 'tokens', 'originals'], (tx) => Promise.all(batch.map(async (id) => {
      const [photo, thumbnail, tokens, original] = await Promise.all([
        tx.objectStore('photos').get(id),
        tx.objectStore('thumbnails').get(id),
        tx.objectStore('tokens').getAll(photoKeyRange(id)),
        tx.objectStore('originals').get(id),
      ]);
      return { photo, thumbnail, tokens, original };
    })));
    for (const r of rows) {
      if (!r.photo) continue; // deleted since the id list was read
      const photo: PhotoRecord = r.photo.status === 'indexing' ? { ...r.photo, status: 'pending' } : r.photo;
      const data: LibraryPhotoData = {
        photo,
        tokens: r.tokens.map((t) => ({ modelId: t.modelId, bytes: new Uint8Array(t.bytes) })),
        embeddings: [],
      };
      for (const t of r.tokens) {
        const e = vectors.get(`${photo.id}\u0000${t.modelId}`);
        if (e) data.embeddings.push({ modelId: t.modelId, d: e.d, vector: e.vector });
      }
      if (r.thumbnail) data.thumbnail = { type: r.thumbnail.type, width: r.thumbnail.width, height: r.thumbnail.height, bytes: new Uint8Array(r.thumbnail.bytes) };
      if (r.original && (includeOriginals || photo.status !== 'indexed')) {
        data.original = { type: r.original.type, bytes: new Uint8Array(await r.original.blob.arrayBuffer()) };
      }
      for (const p of writer.addPhoto(data)) {
        pending.push(p);
        pendingBytes += p.length;
      }
      exported.add(photo.id);
    }
    if (pendingBytes > FLUSH_BYTES) {
      out = new Blob([out, ...(pending as Uint8Array<ArrayBuffer>[])]);
      pending = [];
      pendingBytes = 0;
    }
    opts.onProgress?.(Math.min(i + batchSize, ids.length), ids.length);
  }
  for (const chat of await db.getAll('chats')) if (exported.has(chat.photoId)) writer.addChat(chat);
  writer.setSettings(await getSettings(lib));
  const tail = writer.finish();
  return new Blob([out, ...(pending as Uint8Array<ArrayBuffer>[]), ...(tail as Uint8Array<ArrayBuffer>[])], { type: LIBRARY_MIME_TYPE });
}

export interface ImportReport {
  photosInFile: number; // photo entries the manifest lists (including ones skipped)
  imported: string[]; // photo ids now stored
  duplicates: string[]; // already in the library: left as they were
  chatsImported: number;
  skipped: SkippedItem[]; // what was left out of the file, and why
  notes: { id: string; note: string }[]; // imported photos whose status changed (e.g. damaged tokens -> pending)
  stoppedBy: StorageFullError | null; // storage filled up: `imported` is stored, the rest of the file is not
}

export interface ImportOptions {
  limits?: Partial<LibraryLimits>;
  batchSize?: number; // photos per write transaction (default 50)
  onProgress?: (done: number, total: number) => void;
}

/**
 * Adds the photos and chats of a library file to the library. Photos already there (same id) are left as
 * they are; everything that fails a check is skipped and reported. Throws LibraryFileError when the file as
 * a whole is unreadable (wrong magic/version, damaged manifest).
 */
export async function importLibrary(lib: Library, file: Blob | ByteSource, opts: ImportOptions = {}): Promise<ImportReport> {
  const reader = await openLibraryFile(file instanceof Blob ? blobSource(file) : file, opts.limits);
  const entries = reader.manifest.photos;
  const report: ImportReport = {
    photosInFile: entries.length + reader.skipped.filter((s) => s.kind === 'photo').length,
    imported: [], duplicates: [], chatsImported: 0, skipped: [...reader.skipped], notes: [], stoppedBy: null,
  };
  const currentModel = (await getSettings(lib)).currentModelId;
  const batchSize = opts.batchSize ?? 50;
  // One hidden size d per model across the library: embedding shards are (n, d) per model and search reads
  // them as one matrix. A file whose tokens for a model have another d than the library's (or than earlier
  // photos of the same file) is inconsistent: those tokens are skipped, never stored next to the others.
  const modelD = new Map<string, number | null>();
  const dOfModel = async (modelId: string): Promise<number | null> => {
    if (!modelD.has(modelId)) {
      modelD.set(modelId, await lib.read(['embeddings', 'tokens'], async (tx) => {
        const [shard] = await tx.objectStore('embeddings').getAll(IDBKeyRange.bound([modelId, ''], [modelId, '\uffff']), 1);
        if (shard) return shard.d;
        const [t] = await tx.objectStore('tokens').index('by-model').getAll(modelId, 1);
        return t ? readTokenHeader(new Uint8Array(t.bytes)).d : null;
      }));
    }
    return modelD.get(modelId)!;
  };
  try {
    for (let i = 0; i < entries.length; i += batchSize) {
      const batch: LibraryPhotoData[] = [];
      for (const entry of entries.slice(i, i + batchSize)) {
        const { data, skipped } = await reader.readPhoto(entry);
        report.skipped.push(...skipped);
        for (const t of [...data.tokens]) {
          const { d } = readTokenHeader(t.bytes);
          const want = await dOfModel(t.modelId);
          if (want === null) modelD.set(t.modelId, d);
          else if (want !== d) {
            data.tokens = data.tokens.filter((x) => x !== t);
            report.skipped.push({ kind: 'tokens', id: data.photo.id, modelId: t.modelId, reason: `their hidden size d = ${d} differs from the library's d = ${want} for this model` });
          }
        }
        if (data.original && (await sha256Hex(data.original.bytes as Uint8Array<ArrayBuffer>)) !== data.photo.id) {
          report.skipped.push({ kind: 'original', id: data.photo.id, reason: 'its SHA-256 does not match the photo id (the file is damaged)' });
          delete data.original;
        }
        const note = reconcilePhoto(data);
        if (note) report.notes.push({ id: data.photo.id, note });
        const p = data.photo;
        if (currentModel && p.status === 'indexed' && p.modelId !== currentModel) p.status = 'stale';
        else if (currentModel && p.status === 'stale' && p.modelId === currentModel) p.status = 'indexed';
        batch.push(data);
      }
      const now = Date.now();
      const result = await lib.write('import library', ['photos', 'thumbnails', 'tokens', 'embeddings', 'originals', 'jobs'], async (tx) => {
        const imported: string[] = [];
        const duplicates: string[] = [];
        for (const data of batch) {
          const id = data.photo.id;
          if ((await tx.objectStore('photos').getKey(id)) !== undefined) {
            duplicates.push(id);
            continue;
          }
          await tx.objectStore('photos').put(data.photo);
          if (data.thumbnail) {
            const { type, width, height, bytes } = data.thumbnail;
            await tx.objectStore('thumbnails').put({ photoId: id, type, width, height, bytes: bytes.buffer as ArrayBuffer });
          }
          for (const t of data.tokens) await tx.objectStore('tokens').put({ photoId: id, modelId: t.modelId, bytes: t.bytes.buffer as ArrayBuffer });
          for (const e of data.embeddings) await putEmbedding(tx.objectStore('embeddings'), id, e.modelId, e.vector);
          if (data.original) {
            const blob = new Blob([data.original.bytes as Uint8Array<ArrayBuffer>], { type: data.original.type });
            await tx.objectStore('originals').put({ photoId: id, type: data.original.type, blob });
          }
          if (data.photo.status === 'pending') await tx.objectStore('jobs').put({ photoId: id, state: 'pending', enqueuedAt: now, attempts: 0 });
          imported.push(id);
        }
        return { imported, duplicates };
      }, (r) => (r.imported.length ? { kind: 'imported', photoIds: r.imported } : null));
      report.imported.push(...result.imported);
      report.duplicates.push(...result.duplicates);
      opts.onProgress?.(Math.min(i + batchSize, entries.length), entries.length);
    }
    const chats = reader.manifest.chats;
    for (let i = 0; i < chats.length; i += 500) {
      const batch = chats.slice(i, i + 500);
      const r = await lib.write('import chats', ['photos', 'chats'], async (tx) => {
        let n = 0;
        const photoIds = new Set<string>();
        const skipped: SkippedItem[] = [];
        for (const chat of batch) {
          if ((await tx.objectStore('photos').getKey(chat.photoId)) === undefined) {
            skipped.push({ kind: 'chat', id: chat.id, reason: 'its photo is not in the library' });
          } else if ((await tx.objectStore('chats').getKey(chat.id)) !== undefined) {
            skipped.push({ kind: 'chat', id: chat.id, reason: 'already in the library' });
          } else {
            await tx.objectStore('chats').put(chat);
            photoIds.add(chat.photoId);
            n++;
          }
        }
        return { n, photoIds: [...photoIds], skipped };
      }, (x) => (x.n ? { kind: 'chats-changed', photoIds: x.photoIds } : null));
      report.chatsImported += r.n;
      report.skipped.push(...r.skipped);
    }
  } catch (e) {
    if (!(e instanceof StorageFullError)) throw e;
    report.stoppedBy = e;
  }
  return report;
}
