// "Import library" reads an untrusted file. Seeded fuzzing of the full import into a real IndexedDB library
// that already holds photos (two of them also in the file, in another state), chats and settings: a valid
// export is mutated (byte flips, inserted and deleted bytes, truncations, huge length fields, hostile manifest
// values, hostile blob headers with their checksums fixed up) and imported. Every case must
//   - end with a report or a LibraryFileError, and nothing else (no TypeError, RangeError, ...);
//   - end within CASE_MS (a sync infinite loop would trip the test timeout instead);
//   - read only inside the file: every read the importer asks of its ByteSource lies within the file's size,
//     so no buffer is ever sized from an unvalidated length (the reader allocates only what it read, and
//     decodeTokens checks K*d before allocating);
//   - leave every record that was in the library byte-for-byte as it was (photos, thumbnails, originals,
//     tokens, per-photo embedding rows, chats, jobs, settings); a LibraryFileError leaves the library
//     entirely unchanged, and a partial import adds only whole photos (verifyLibrary finds no problem).
// The reader's own unit tests (test/unit/storage/libraryFile.test.ts) cover truncation at every byte and the
// named problems; test/browser/storage/exportImport.browser.test.ts the intended behaviour on good files.
import { afterEach, describe, expect, test } from 'vitest';
import {
  addPhotos, appendTurns, createChat, exportLibrary, failIndexing, finishIndexing, importLibrary, setCurrentModel, updateSettings,
  verifyLibrary, type ImportReport,
} from '../../../src/storage';
import { crc32 } from '../../../src/storage/crc32';
import { blobSource } from '../../../src/storage/exportImport';
import type { ByteSource } from '../../../src/storage/libraryFile';
import type { Library } from '../../../src/storage/library';
import { ALL_STORES, type StoreName } from '../../../src/storage/schema';
import { decodeTokens, encodeTokens } from '../../../src/storage/tokenCodec';
import { D, K, MODEL, cleanup, dump, embeddingRows, freshLibrary, indexResult, makePhoto, randomBits, rng } from './helpers';

afterEach(cleanup);

// About 0.1 s per case on a quiet 2-core machine; the limit leaves room for a loaded one.
const TEST_MS = 600_000;

const CASE_MS = 15_000; // generous: a case takes ~0.1 s on a quiet machine, up to ~3 s on a loaded 2-core one
const SEED = 0x5eed;

// ---------------------------------------------------------------------------------------------------------------
// The file and the library it is imported into

/** A valid export: 7 photos in every state (indexed with/without original, pending, failed, stale) + 2 chats. */
async function validExport(): Promise<Uint8Array> {
  const lib = await freshLibrary();
  const ps = await Promise.all(Array.from({ length: 7 }, (_, i) => makePhoto(i)));
  await addPhotos(lib, ps, 1000);
  await setCurrentModel(lib, 'old-model');
  await finishIndexing(lib, indexResult(ps[5].id, 50, 'old-model'), 1500);
  await setCurrentModel(lib, MODEL);
  await finishIndexing(lib, indexResult(ps[0].id, 10), 1500);
  await finishIndexing(lib, indexResult(ps[1].id, 11), 1500);
  await updateSettings(lib, { keepOriginals: true });
  await finishIndexing(lib, indexResult(ps[2].id, 12), 1500);
  await failIndexing(lib, ps[3].id, 'The image could not be decoded.');
  const c = await createChat(lib, ps[0].id, 3000);
  await appendTurns(lib, c.id, [{ role: 'user', text: 'What is in the photo?', at: 3001 }, { role: 'assistant', text: 'A red square.', at: 3002 }]);
  await createChat(lib, ps[1].id, 3100);
  const bytes = new Uint8Array(await (await exportLibrary(lib, { createdAt: new Date(0) })).arrayBuffer());
  lib.close();
  return bytes;
}

/** The library the file goes into: 3 photos of its own, plus the file's photos 0 (pending here) and 1 (indexed here, other tokens). */
async function existingLibrary(): Promise<Library> {
  const lib = await freshLibrary();
  const own = await Promise.all([100, 101, 102].map((i) => makePhoto(i)));
  const shared = await Promise.all([0, 1].map((i) => makePhoto(i)));
  await addPhotos(lib, [...own, ...shared], 500);
  await setCurrentModel(lib, MODEL);
  await finishIndexing(lib, indexResult(own[0].id, 70), 600);
  await finishIndexing(lib, indexResult(shared[1].id, 71), 600);
  await failIndexing(lib, own[1].id, 'Indexing was cancelled.');
  const c = await createChat(lib, own[0].id, 700);
  await appendTurns(lib, c.id, [{ role: 'user', text: 'Where was this taken?', at: 701 }]);
  return lib;
}

// ---------------------------------------------------------------------------------------------------------------
// Snapshots: every record by key; embeddings as per-photo rows (a shard is rewritten when a row is added)

type Snapshot = Record<string, Map<string, string>>;

const keyOf: Record<string, (r: any) => string> = {
  photos: (r) => r.id, thumbnails: (r) => r.photoId, originals: (r) => r.photoId, tokens: (r) => `${r.photoId}/${r.modelId}`,
  chats: (r) => r.id, jobs: (r) => r.photoId, settings: (r) => r.key, embeddings: (r) => `${r.photoId}/${r.modelId}`,
};

async function snapshot(lib: Library): Promise<Snapshot> {
  const raw = await dump(lib, ['photos', 'thumbnails', 'originals', 'tokens', 'chats', 'jobs', 'settings']);
  raw.embeddings = await embeddingRows(lib);
  const out: Snapshot = {};
  for (const [store, rows] of Object.entries(raw)) out[store] = new Map(rows.map((r) => [keyOf[store](r), JSON.stringify(r)]));
  return out;
}

/** Records that were there are unchanged; new ones belong to imported photos (or are new chats of stored photos). */
function checkPreserved(before: Snapshot, after: Snapshot, report: ImportReport | null, label: string): void {
  const imported = new Set(report?.imported ?? []);
  for (const id of imported) expect(before.photos.has(id), `${label}: imported ${id} was already in the library`).toBe(false);
  for (const store of Object.keys(before)) {
    for (const [key, value] of before[store]) expect(after[store].get(key), `${label}: ${store} ${key} changed`).toBe(value);
    for (const [key, value] of after[store]) {
      if (before[store].has(key)) continue;
      expect(report, `${label}: ${store} ${key} was added by an import that failed`).not.toBeNull();
      if (store === 'chats') expect(after.photos.has(JSON.parse(value).photoId), `${label}: chat ${key} without its photo`).toBe(true);
      else expect(imported.has(key.split('/')[0]), `${label}: ${store} ${key} does not belong to an imported photo`).toBe(true);
    }
  }
}

/** A ByteSource over a Blob that records every read and fails the case when one reaches outside the file. */
function boundedSource(bytes: Uint8Array): ByteSource & { problems: string[]; reads: number } {
  const inner = blobSource(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const problems: string[] = [];
  const src = {
    size: inner.size, problems, reads: 0,
    read(offset: number, length: number) {
      src.reads++;
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > inner.size) {
        problems.push(`read(${offset}, ${length}) outside the ${inner.size}-byte file`);
      }
      return inner.read(offset, length);
    },
  };
  return src;
}

/** Models whose embedding shards and token records do not all share one d (search needs one d per model). */
async function mixedShapes(lib: Library): Promise<string[]> {
  const db = await lib.connection();
  const ds = new Map<string, Set<number>>();
  const note = (model: string, d: number) => ds.set(model, (ds.get(model) ?? new Set()).add(d));
  for (const s of await db.getAll('embeddings')) note(s.modelId, s.d);
  for (const t of await db.getAll('tokens')) note(t.modelId, decodeTokens(t.bytes).d);
  return [...ds].filter(([, set]) => set.size > 1).map(([m, set]) => `${m}: d = ${[...set].join(', ')}`);
}

function withTimeout<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${label}: import did not finish within ${ms} ms`)), ms); }),
  ]);
}

interface Outcome { refused: number; imported: number; skipped: number; maxMs: number }

/** Every record of every store, as stored (structured clones), to copy into a fresh database in one transaction. */
type RawLibrary = Record<StoreName, unknown[]>;

let template: { raw: RawLibrary; before: Snapshot } | null = null;

/** The existing library, built once through the library's own API; each case gets a fresh copy of its records. */
async function existingTemplate(): Promise<{ raw: RawLibrary; before: Snapshot }> {
  if (!template) {
    const lib = await existingLibrary();
    const db = await lib.connection();
    const tx = db.transaction(ALL_STORES, 'readonly');
    const raw = Object.fromEntries(await Promise.all(ALL_STORES.map(async (s) => [s, await tx.objectStore(s).getAll()]))) as RawLibrary;
    template = { raw, before: await snapshot(lib) };
    lib.close();
  }
  return template;
}

async function copyOf(raw: RawLibrary): Promise<Library> {
  const lib = await freshLibrary();
  const db = await lib.connection();
  const tx = db.transaction(ALL_STORES, 'readwrite');
  for (const s of ALL_STORES) for (const r of raw[s]) void tx.objectStore(s).put(r as never);
  await tx.done;
  return lib;
}

/** Imports each mutated file into a fresh copy of the existing library and checks the invariants. */
async function fuzz(cases: { label: string; bytes: Uint8Array }[]): Promise<Outcome> {
  const out: Outcome = { refused: 0, imported: 0, skipped: 0, maxMs: 0 };
  const { raw, before } = await existingTemplate();
  for (const { label, bytes } of cases) {
    const lib = await copyOf(raw);
    const src = boundedSource(bytes);
    const t0 = performance.now();
    let report: ImportReport | null = null;
    try {
      report = await withTimeout(importLibrary(lib, src, { batchSize: 3 }), CASE_MS, label);
    } catch (e) {
      const name = (e as Error)?.name;
      if (name !== 'LibraryFileError') throw new Error(`${label}: threw ${name}: ${(e as Error)?.message}`, { cause: e });
      expect((e as Error).message).toMatch(/^This is not a readable fwd2bot library file \(/);
      out.refused++;
    }
    out.maxMs = Math.max(out.maxMs, performance.now() - t0);
    expect(src.problems, label).toEqual([]);
    checkPreserved(before, await snapshot(lib), report, label);
    if (report) {
      expect(report.stoppedBy, label).toBeNull();
      expect((await verifyLibrary(lib)).problems, label).toEqual([]);
      expect(await mixedShapes(lib), `${label}: a model with more than one d`).toEqual([]);
      out.imported += report.imported.length;
      out.skipped += report.skipped.length;
    }
    lib.close();
  }
  expect(out.maxMs).toBeLessThan(CASE_MS);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

/** The file's parts: where the manifest is, and the parsed manifest. */
function parse(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = dv.getUint32(bytes.length - 24, true);
  const len = dv.getUint32(bytes.length - 16, true);
  return { at, len, manifest: JSON.parse(new TextDecoder().decode(bytes.subarray(at, at + len))) };
}

/** The file with its manifest replaced by `json` (blob area untouched), trailer and checksum made right. */
function withManifest(bytes: Uint8Array, json: Uint8Array, blobs = bytes): Uint8Array {
  const { at } = parse(bytes);
  const out = new Uint8Array(at + json.length + 24);
  out.set(blobs.subarray(0, at));
  out.set(json, at);
  out.set(bytes.subarray(bytes.length - 24), at + json.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(out.length - 16, json.length, true);
  dv.setUint32(out.length - 12, crc32(json), true);
  return out;
}

const HOSTILE: unknown[] = [
  -1, 0, 1, 7, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 0.5, -0, '', 'x', '0'.repeat(70), 'a'.repeat(5000),
  '\ud800', null, true, false, [], [1, 2, 3], {}, { offset: 16, length: 8, crc32: 0 }, 'indexed', 'pending', 'stale',
];

/** Every path into the manifest (object keys and array indices). */
function paths(x: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      const p = [...prefix, Array.isArray(x) ? Number(k) : k];
      out.push(p);
      paths(v, p, out);
    }
  }
  return out;
}

function mutateManifest(manifest: any, r: () => number): any {
  const m = structuredClone(manifest);
  const all = paths(m);
  const edits = 1 + Math.floor(r() * 3);
  for (let e = 0; e < edits; e++) {
    const path = all[Math.floor(r() * all.length)];
    let parent: any = m;
    for (const k of path.slice(0, -1)) parent = parent?.[k];
    if (!parent || typeof parent !== 'object') continue;
    const key = path.at(-1)!;
    const kind = r();
    if (kind < 0.6) parent[key] = HOSTILE[Math.floor(r() * HOSTILE.length)];
    else if (kind < 0.75) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else if (kind < 0.9 && Array.isArray(parent)) parent.push(structuredClone(parent[Number(key)])); // duplicate entry
    else {
      // point a blob reference at another blob (right checksum, wrong content)
      const refs = paths(m).map((p) => p.reduce((o: any, k) => o?.[k], m)).filter((o: any) => o && typeof o === 'object' && 'crc32' in o);
      const a = refs[Math.floor(r() * refs.length)], b = refs[Math.floor(r() * refs.length)];
      if (a && b) Object.assign(a, { offset: b.offset, length: b.length, crc32: b.crc32 });
    }
  }
  return m;
}

const enc = new TextEncoder();

describe('import of a mutated library file (seeded fuzzing, real IndexedDB)', () => {
  test('byte flips anywhere in the file', async () => {
    const good = await validExport();
    const r = rng(SEED);
    const cases = Array.from({ length: 80 }, (_, i) => {
      const b = good.slice();
      const n = 1 + Math.floor(r() * 8);
      const at: number[] = [];
      // half the cases aim at the header and trailer (where every byte matters), half anywhere
      for (let k = 0; k < n; k++) at.push(i % 2 === 0 ? Math.floor(r() * b.length) : (r() < 0.5 ? Math.floor(r() * 16) : b.length - 1 - Math.floor(r() * 24)));
      for (const p of at) b[p] ^= 1 + Math.floor(r() * 255);
      return { label: `flip #${i} at ${at.join(',')}`, bytes: b };
    });
    const o = await fuzz(cases);
    expect(o.refused).toBeGreaterThan(0);
    expect(o.imported).toBeGreaterThan(0);
  }, TEST_MS);

  test('inserted and deleted bytes, and truncation', async () => {
    const good = await validExport();
    const r = rng(SEED + 1);
    const cases = Array.from({ length: 60 }, (_, i) => {
      const at = Math.floor(r() * good.length);
      const n = 1 + Math.floor(r() * 64);
      if (i % 3 === 0) {
        const ins = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
        return { label: `insert ${n} at ${at}`, bytes: new Uint8Array([...good.subarray(0, at), ...ins, ...good.subarray(at)]) };
      }
      if (i % 3 === 1) return { label: `delete ${n} at ${at}`, bytes: new Uint8Array([...good.subarray(0, at), ...good.subarray(at + n)]) };
      return { label: `truncate to ${at}`, bytes: good.slice(0, at) };
    });
    cases.push({ label: 'empty file', bytes: new Uint8Array(0) });
    await fuzz(cases);
  }, TEST_MS);

  test('huge and hostile length fields in the trailer', async () => {
    const good = await validExport();
    const { at, len } = parse(good);
    const values = [0, 1, 15, 16, 23, 24, len - 1, len + 1, at, good.length, good.length - 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
    const cases: { label: string; bytes: Uint8Array }[] = [];
    for (const [field, where] of [['manifest offset (low)', 24], ['manifest offset (high)', 20], ['manifest length', 16]] as const) {
      for (const v of values) {
        const b = good.slice();
        const dv = new DataView(b.buffer);
        if (dv.getUint32(b.length - where, true) === v >>> 0) continue; // the field's real value
        dv.setUint32(b.length - where, v >>> 0, true);
        cases.push({ label: `${field} = ${v}`, bytes: b });
      }
    }
    const o = await fuzz(cases);
    expect(o.refused).toBe(cases.length); // the manifest must end where the trailer starts: nothing else is read
  }, TEST_MS);

  test('hostile manifest values with a valid checksum', async () => {
    const good = await validExport();
    const { manifest } = parse(good);
    const r = rng(SEED + 2);
    const cases = Array.from({ length: 90 }, (_, i) => {
      const m = mutateManifest(manifest, r);
      return { label: `manifest #${i}`, bytes: withManifest(good, enc.encode(JSON.stringify(m))) };
    });
    // and raw byte damage inside the manifest, checksum fixed (broken JSON, odd numbers, bad UTF-8)
    const json = enc.encode(JSON.stringify(manifest));
    for (let i = 0; i < 30; i++) {
      const j = json.slice();
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) j[Math.floor(r() * j.length)] = Math.floor(r() * 256);
      cases.push({ label: `manifest bytes #${i}`, bytes: withManifest(good, j) });
    }
    const o = await fuzz(cases);
    expect(o.refused).toBeGreaterThan(0);
    expect(o.skipped).toBeGreaterThan(0);
  }, TEST_MS);

  test('hostile blob contents with matching checksums (token headers, originals, embeddings)', async () => {
    const good = await validExport();
    const { manifest } = parse(good);
    const r = rng(SEED + 3);
    const cases: { label: string; bytes: Uint8Array }[] = [];
    const tokenRefs = manifest.photos.flatMap((p: any) => p.tokens);
    const otherRefs = manifest.photos.flatMap((p: any) => [...p.embeddings, ...(p.original ? [p.original] : []), ...(p.thumbnail ? [p.thumbnail] : [])]);
    const rewrite = (ref: any, edit: (b: Uint8Array, dv: DataView) => void, label: string) => {
      const blobs = good.slice();
      const blob = blobs.subarray(ref.offset, ref.offset + ref.length);
      edit(blob, new DataView(blob.buffer, blob.byteOffset, blob.byteLength));
      const m = structuredClone(manifest);
      for (const p of m.photos) for (const x of [...p.tokens, ...p.embeddings, p.original, p.thumbnail]) if (x?.offset === ref.offset) x.crc32 = crc32(blob);
      cases.push({ label, bytes: withManifest(good, enc.encode(JSON.stringify(m)), blobs) });
    };
    const u32 = [0, 1, 2 ** 16, 2 ** 24, 2 ** 31, 2 ** 32 - 1];
    for (let i = 0; i < 40; i++) {
      const ref = tokenRefs[Math.floor(r() * tokenRefs.length)];
      const field = Math.floor(r() * 5);
      rewrite(ref, (b, dv) => {
        if (field === 0) dv.setUint16(4, Math.floor(r() * 65536), true); // version
        else if (field === 1) b[6] = Math.floor(r() * 256); // dtype
        else if (field === 2) b[7] = Math.floor(r() * 256); // model id length
        else dv.setUint32(field === 3 ? 8 : 12, u32[Math.floor(r() * u32.length)], true); // K or d
      }, `token header field ${field} #${i}`);
    }
    for (let i = 0; i < 20; i++) {
      const ref = otherRefs[Math.floor(r() * otherRefs.length)];
      rewrite(ref, (b) => { for (let k = 0; k < 4; k++) b[Math.floor(r() * b.length)] ^= 0x5a; }, `blob bytes at ${ref.offset} #${i}`);
    }
    // Tokens of the library's model re-encoded with another shape (K*d kept, checksum right): the file is
    // consistent in itself, but its d differs from the library's d for that model. Once for a new photo, once
    // for a photo whose id falls into the same embedding shard as one of the library's photos.
    const odd = encodeTokens({ modelId: MODEL, K: K * 2, d: D / 2, data: randomBits(K * D, 5) });
    const ids = { newIndexed: (await makePhoto(2)).id, ownShard: (await makePhoto(100)).id };
    const newPhoto = manifest.photos.find((p: any) => p.photo.id === ids.newIndexed);
    expect(odd.length).toBe(newPhoto.tokens[0].length);
    rewrite(newPhoto.tokens[0], (b) => b.set(odd), 'a new photo with tokens of d = D/2 for the library model');
    const sameShard = structuredClone(manifest);
    const entry = sameShard.photos.find((p: any) => p.photo.id === ids.newIndexed);
    entry.photo.id = ids.ownShard.slice(0, 2) + 'f'.repeat(62);
    delete entry.original;
    const blobs = good.slice();
    blobs.set(odd, entry.tokens[0].offset);
    entry.tokens[0].crc32 = crc32(odd);
    cases.push({ label: 'a photo in a library shard with tokens of d = D/2', bytes: withManifest(good, enc.encode(JSON.stringify(sameShard)), blobs) });
    await fuzz(cases);
  }, TEST_MS);
});
