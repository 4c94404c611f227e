import { afterEach, describe, expect, test } from 'vitest';
import {
  LibraryFileError, StorageFullError, addPhotos, appendTurns, claimNextJob, clearLibrary, createChat, exportLibrary, failIndexing,
  finishIndexing, getEmbedding, getPhoto, getTokens, importLibrary, setCurrentModel, updateSettings, verifyLibrary, LIBRARY_MIME_TYPE,
} from '../../../src/storage';
import { decodeLibrary, encodeLibrary } from '../../../src/storage/libraryFile';
import type { JobRecord } from '../../../src/storage/records';
import { storageTestHooks } from '../../../src/storage/testHooks';
import { encodeTokens } from '../../../src/storage/tokenCodec';
import { D, K, MODEL, cleanup, dump, freshLibrary, indexResult, makePhoto, randomBits } from './helpers';

afterEach(async () => {
  storageTestHooks.beforeCommit = null;
  await cleanup();
});

/** A library with every kind of photo: indexed (with and without original), pending, failed, stale, plus chats. */
async function populated() {
  const lib = await freshLibrary();
  const ps = await Promise.all(Array.from({ length: 7 }, (_, i) => makePhoto(i)));
  await addPhotos(lib, ps.slice(0, 6), 1000);
  await addPhotos(lib, [ps[6]], 2000);
  await setCurrentModel(lib, 'old-model');
  await finishIndexing(lib, indexResult(ps[5].id, 50, 'old-model'));
  await setCurrentModel(lib, MODEL); // ps[5] is stale now
  await finishIndexing(lib, indexResult(ps[0].id, 10));
  await finishIndexing(lib, indexResult(ps[1].id, 11));
  await updateSettings(lib, { keepOriginals: true });
  await finishIndexing(lib, indexResult(ps[2].id, 12)); // keeps its original
  await failIndexing(lib, ps[3].id, 'The image could not be decoded.');
  // ps[4] and ps[6] stay pending
  const c = await createChat(lib, ps[0].id, 3000);
  await appendTurns(lib, c.id, [{ role: 'user', text: 'What is in the photo?', at: 3001 }, { role: 'assistant', text: 'A red square.', at: 3002 }]);
  await createChat(lib, ps[1].id, 3100);
  expect((await verifyLibrary(lib)).problems).toEqual([]);
  return { lib, ps };
}

const withoutQueueTime = (jobs: unknown[]) => (jobs as JobRecord[]).map(({ enqueuedAt: _t, ...j }) => j);

describe('export / import', () => {
  test('export -> clear -> import restores the library exactly', async () => {
    const { lib } = await populated();
    const before = await dump(lib);
    const file = await exportLibrary(lib);
    expect(file.type).toBe(LIBRARY_MIME_TYPE);
    await clearLibrary(lib);
    expect((await verifyLibrary(lib)).counts.photos).toBe(0);
    const report = await importLibrary(lib, file);
    expect(report).toMatchObject({ photosInFile: 7, duplicates: [], chatsImported: 2, skipped: [], notes: [], stoppedBy: null });
    expect(report.imported).toHaveLength(7);
    const after = await dump(lib);
    for (const store of ['photos', 'thumbnails', 'originals', 'tokens', 'embeddings', 'chats', 'settings']) {
      expect(after[store], store).toEqual(before[store]);
    }
    expect(withoutQueueTime(after.jobs)).toEqual(withoutQueueTime(before.jobs)); // re-queued on import: new queue time
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });

  test('importing the same file again changes nothing and reports duplicates', async () => {
    const { lib } = await populated();
    const file = await exportLibrary(lib);
    const before = await dump(lib);
    const report = await importLibrary(lib, file);
    expect(report.imported).toEqual([]);
    expect(report.duplicates).toHaveLength(7);
    expect(report.skipped.filter((s) => s.kind === 'chat').map((s) => s.reason)).toEqual(['already in the library', 'already in the library']);
    expect(await dump(lib)).toEqual(before);
  });

  test('the exported file is the format the CLI reads, and a CLI-written file imports', async () => {
    const { lib, ps } = await populated();
    const file = await exportLibrary(lib);
    const decoded = await decodeLibrary(new Uint8Array(await file.arrayBuffer()));
    expect(decoded.skipped).toEqual([]);
    expect(decoded.manifest.generator).toBe('fwd2bot-web');
    expect(decoded.photos.map((p) => p.photo.id).sort()).toEqual(ps.map((p) => p.id).sort());
    const stored = (await dump(lib, ['originals'])).originals as { photoId: string }[];
    expect(decoded.photos.filter((p) => p.original).map((p) => p.photo.id).sort()).toEqual(stored.map((o) => o.photoId).sort());
    // the compact export leaves out the original of the indexed photo that kept it (ps[2]) and nothing else
    const compact = await decodeLibrary(new Uint8Array(await (await exportLibrary(lib, { includeOriginals: false })).arrayBuffer()));
    expect(compact.photos.filter((p) => p.original).map((p) => p.photo.id).sort()).toEqual(stored.map((o) => o.photoId).filter((id) => id !== ps[2].id).sort());
    // a file made by the pure writer alone (what the Node CLI does)
    const p = await makePhoto(42);
    const tokens = randomBits(K * D, 9);
    const cliFile = encodeLibrary({
      photos: [{
        photo: { id: p.id, name: p.name, type: p.type, byteSize: p.byteSize, width: p.width, height: p.height, addedAt: 1, status: 'indexed', modelId: MODEL, indexedAt: 2 },
        thumbnail: { ...p.thumbnail, bytes: new Uint8Array(p.thumbnail.bytes) },
        tokens: [{ modelId: MODEL, bytes: encodeTokens({ modelId: MODEL, K, d: D, data: tokens }) }],
        embeddings: [{ modelId: MODEL, d: D, vector: randomBits(D, 3) }],
      }],
    }, { generator: 'fwd2bot-cli' });
    const other = await freshLibrary();
    await setCurrentModel(other, MODEL);
    const report = await importLibrary(other, new Blob([cliFile]));
    expect(report).toMatchObject({ imported: [p.id], skipped: [] });
    expect(await getPhoto(other, p.id)).toMatchObject({ status: 'indexed', modelId: MODEL });
    expect((await verifyLibrary(other)).problems).toEqual([]);
  });

  test('damaged parts are skipped and reported; the photo becomes pending or failed, never half indexed', async () => {
    const { lib, ps } = await populated();
    const bytes = new Uint8Array(await (await exportLibrary(lib)).arrayBuffer());
    const { manifest } = await decodeLibrary(bytes);
    const e0 = manifest.photos.find((x) => x.photo.id === ps[0].id)!; // indexed, original not kept
    const e2 = manifest.photos.find((x) => x.photo.id === ps[2].id)!; // indexed, original kept
    bytes[e0.tokens[0].offset + 40] ^= 0xff; // inside the fp16 payload
    bytes[e2.embeddings[0].offset] ^= 0xff;
    const target = await freshLibrary();
    await setCurrentModel(target, MODEL);
    const report = await importLibrary(target, new Blob([bytes]));
    expect(report.imported).toHaveLength(7);
    expect(report.skipped).toHaveLength(2);
    expect(report.skipped).toEqual(expect.arrayContaining([
      { kind: 'tokens', id: ps[0].id, modelId: MODEL, reason: 'checksum mismatch (the file is damaged)' },
      { kind: 'embedding', id: ps[2].id, modelId: MODEL, reason: 'checksum mismatch (the file is damaged)' },
    ]));
    expect(report.notes.map((n) => n.id).sort()).toEqual([ps[0].id, ps[2].id].sort());
    // tokens damaged and the original not kept: failed, with what to do
    expect(await getPhoto(target, ps[0].id)).toMatchObject({ status: 'failed', failReason: expect.stringMatching(/Add the photo again/) });
    expect(await getTokens(target, ps[0].id, MODEL)).toBeUndefined();
    // embedding damaged: recomputed from the intact tokens, identical to the one the library had
    expect(report.notes.find((n) => n.id === ps[2].id)?.note).toMatch(/recomputed/);
    expect(await getPhoto(target, ps[2].id)).toMatchObject({ status: 'indexed' });
    expect(Array.from((await getEmbedding(target, ps[2].id, MODEL))!)).toEqual(Array.from((await getEmbedding(lib, ps[2].id, MODEL))!));
    expect((await verifyLibrary(target)).problems).toEqual([]);
  });

  test('tokens whose d differs from the library\'s for the same model are skipped, never stored beside the others', async () => {
    // Embedding shards are (n, d) per model and search reads them as one matrix: one d per model.
    const lib = await freshLibrary();
    await setCurrentModel(lib, MODEL);
    const a = await makePhoto(1);
    await addPhotos(lib, [a]);
    await finishIndexing(lib, indexResult(a.id, 1)); // d = D
    const p = await makePhoto(2);
    const file = encodeLibrary({
      photos: [{
        photo: { id: p.id, name: p.name, type: p.type, byteSize: p.byteSize, width: p.width, height: p.height, addedAt: 1, status: 'indexed', modelId: MODEL, indexedAt: 2 },
        thumbnail: { ...p.thumbnail, bytes: new Uint8Array(p.thumbnail.bytes) },
        tokens: [{ modelId: MODEL, bytes: encodeTokens({ modelId: MODEL, K: 2 * K, d: D / 2, data: randomBits(K * D, 3) }) }],
        embeddings: [],
        original: { type: p.type, bytes: new Uint8Array(await p.original.arrayBuffer()) },
      }],
    });
    const report = await importLibrary(lib, new Blob([file]));
    expect(report.imported).toEqual([p.id]);
    expect(report.skipped).toEqual([{ kind: 'tokens', id: p.id, modelId: MODEL, reason: `their hidden size d = ${D / 2} differs from the library's d = ${D} for this model` }]);
    expect(await getPhoto(lib, p.id)).toMatchObject({ status: 'pending' }); // its original is there: indexed again
    expect(await getTokens(lib, p.id, MODEL)).toBeUndefined();
    expect(await getEmbedding(lib, p.id, MODEL)).toBeUndefined();
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });

  test('a file that is not a library is refused as a whole', async () => {
    const lib = await freshLibrary();
    const before = await dump(lib);
    await expect(importLibrary(lib, new Blob([new Uint8Array(100).fill(7)]))).rejects.toBeInstanceOf(LibraryFileError);
    await expect(importLibrary(lib, new Blob([]))).rejects.toBeInstanceOf(LibraryFileError);
    expect(await dump(lib)).toEqual(before);
  });

  test('storage filling up mid-import keeps the batches already stored and reports where it stopped', async () => {
    const { lib } = await populated();
    const file = await exportLibrary(lib);
    const target = await freshLibrary();
    await setCurrentModel(target, MODEL);
    let batches = 0;
    storageTestHooks.beforeCommit = (op) => {
      if (op === 'import library' && ++batches === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    const report = await importLibrary(target, file, { batchSize: 2 });
    storageTestHooks.beforeCommit = null;
    expect(report.stoppedBy).toBeInstanceOf(StorageFullError);
    expect(report.imported).toHaveLength(4); // two whole batches
    expect(report.chatsImported).toBe(0);
    const { counts, problems } = await verifyLibrary(target);
    expect(problems).toEqual([]);
    expect(counts.photos).toBe(4);
    // importing again after space was freed completes the library
    const again = await importLibrary(target, file, { batchSize: 2 });
    expect(again.imported).toHaveLength(3);
    expect(again.duplicates).toHaveLength(4);
    expect((await verifyLibrary(target)).counts.photos).toBe(7);
  });

  test('an indexing photo is exported as pending and resumes after import', async () => {
    const lib = await freshLibrary();
    const p = await makePhoto(1);
    await addPhotos(lib, [p]);
    await claimNextJob(lib);
    expect((await getPhoto(lib, p.id))?.status).toBe('indexing');
    const file = await exportLibrary(lib);
    await clearLibrary(lib);
    await importLibrary(lib, file);
    expect((await getPhoto(lib, p.id))?.status).toBe('pending');
    expect((await claimNextJob(lib))?.photo.id).toBe(p.id);
  });
});
