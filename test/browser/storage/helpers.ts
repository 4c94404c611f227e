// Shared helpers for the storage browser tests: fresh databases, synthetic photos and tokens, and a full
// dump of every store (Blobs and binary fields turned into plain arrays) to compare libraries exactly.

import { deleteDB, type IDBPDatabase } from 'idb';
import { sha256Hex } from '../../../src/storage/hash';
import { openLibrary, type Library, type OpenLibraryOptions } from '../../../src/storage/library';
import type { NewPhoto } from '../../../src/storage/photos';
import { ALL_STORES, type LibrarySchema, type StoreName } from '../../../src/storage/schema';
import { decodeTokens } from '../../../src/storage/tokenCodec';

export const K = 4;
export const D = 16;
export const MODEL = 'tiny-fwd2bot-v1';

const opened: Library[] = [];
const names = new Set<string>();

export function dbName(): string {
  const n = `test-${crypto.randomUUID()}`;
  names.add(n);
  return n;
}

export async function freshLibrary(opts: OpenLibraryOptions = {}): Promise<Library> {
  const lib = await openLibrary({ name: opts.name ?? dbName(), ...opts });
  opened.push(lib);
  return lib;
}

/** Close every library the test opened and delete its databases. Use in afterEach. */
export async function cleanup(): Promise<void> {
  for (const lib of opened.splice(0)) lib.close();
  for (const n of [...names]) {
    await deleteDB(n);
    names.delete(n);
  }
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
}

export function randomBits(n: number, seed: number): Uint16Array {
  const r = rng(seed);
  return Uint16Array.from({ length: n }, () => Math.floor(r() * 65536));
}

/** A synthetic photo whose id is the real SHA-256 of its (random) original bytes. */
export async function makePhoto(i: number, over: Partial<NewPhoto> = {}): Promise<NewPhoto> {
  const r = rng(i + 1);
  const bytes = Uint8Array.from({ length: 200 + (i % 50) }, () => Math.floor(r() * 256));
  const original = new Blob([bytes], { type: 'image/jpeg' });
  return {
    id: await sha256Hex(bytes), name: `IMG_${String(i).padStart(4, '0')}.jpg`, type: 'image/jpeg', byteSize: bytes.length,
    width: 640 + i, height: 480,
    capturedAt: i % 3 === 0 ? undefined : `2021-06-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00`,
    thumbnail: { type: 'image/jpeg', width: 32, height: 24, bytes: Uint8Array.from({ length: 60 + i }, () => Math.floor(r() * 256)).buffer },
    original,
    ...over,
  };
}

export function indexResult(photoId: string, seed: number, modelId = MODEL) {
  return { photoId, modelId, K, d: D, tokens: randomBits(K * D, seed) };
}

async function plain(v: unknown): Promise<unknown> {
  if (v instanceof Blob) return { blobType: v.type, bytes: Array.from(new Uint8Array(await v.arrayBuffer())) };
  if (v instanceof ArrayBuffer) return { arrayBuffer: Array.from(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) return { [v.constructor.name]: Array.from(v as unknown as ArrayLike<number>) };
  if (Array.isArray(v)) return Promise.all(v.map(plain));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await plain(x);
    return out;
  }
  return v;
}

/** Every record of every store, binary data as plain arrays (read in one transaction, converted after). */
export async function dump(lib: Library | IDBPDatabase<LibrarySchema>, stores: readonly StoreName[] = ALL_STORES): Promise<Record<string, unknown[]>> {
  const db = 'connection' in lib ? await lib.connection() : lib;
  const tx = db.transaction([...stores], 'readonly');
  const raw = await Promise.all(stores.map((s) => tx.objectStore(s).getAll()));
  await tx.done;
  const out: Record<string, unknown[]> = {};
  for (let i = 0; i < stores.length; i++) out[stores[i]] = (await plain(raw[i])) as unknown[];
  return out;
}

/** Decoded tokens of one photo straight from the store (no library helper in between). */
export async function rawTokens(lib: Library, photoId: string, modelId = MODEL) {
  const rec = await (await lib.connection()).get('tokens', [photoId, modelId]);
  return rec ? decodeTokens(rec.bytes) : undefined;
}

/** Every embedding row across the shards, as {photoId, modelId, vector}, sorted by photo id then model. */
export async function embeddingRows(lib: Library): Promise<{ photoId: string; modelId: string; vector: number[] }[]> {
  const shards = await (await lib.connection()).getAll('embeddings');
  const rows = shards.flatMap((s) => s.photoIds.map((photoId, i) => ({ photoId, modelId: s.modelId, vector: Array.from(s.vectors.subarray(i * s.d, (i + 1) * s.d)) })));
  return rows.sort((a, b) => (a.photoId < b.photoId ? -1 : a.photoId > b.photoId ? 1 : a.modelId < b.modelId ? -1 : 1));
}
