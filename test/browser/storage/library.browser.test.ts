import { afterEach, describe, expect, test } from 'vitest';
import {
  addPhotos, appendTurns, clearLibrary, countByStatus, countPhotos, createChat, deletePhoto, deletePhotos, finishIndexing,
  getOriginal, getPhoto, getSettings, getThumbnail, getTokens, listChats, listPhotos, loadEmbeddings, PhotoNotFoundError,
  updateSettings, verifyLibrary, claimNextJob,
} from '../../../src/storage';
import { meanEmbedding } from '../../../src/storage/embedding';
import { D, K, MODEL, cleanup, dump, embeddingRows, freshLibrary, indexResult, makePhoto, randomBits } from './helpers';

afterEach(cleanup);

describe('photo library', () => {
  test('tokens round-trip bit-exactly through IndexedDB, and the embedding is their normalised mean', async () => {
    const lib = await freshLibrary();
    const p = await makePhoto(1);
    await addPhotos(lib, [p]);
    const tokens = randomBits(K * D, 42);
    tokens.set([0x7e01, 0xfc00, 0x0001, 0x8000, 0x7c00, 0xffff], 0); // NaN payload, -Inf, subnormal, -0, Inf
    expect(await finishIndexing(lib, { photoId: p.id, modelId: MODEL, K, d: D, tokens })).toBe('indexed');
    const back = await getTokens(lib, p.id, MODEL);
    expect(back).toMatchObject({ modelId: MODEL, K, d: D, formatVersion: 1 });
    expect(Array.from(back!.data)).toEqual(Array.from(tokens)); // every bit pattern
    const m = await loadEmbeddings(lib, MODEL);
    expect(m.photoIds).toEqual([p.id]);
    expect(Array.from(m.data)).toEqual(Array.from(meanEmbedding(tokens, K, D)));
    expect(await getTokens(lib, p.id, 'other-model')).toBeUndefined();
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });

  test('adding: pending with thumbnail, original and job; same content twice is a duplicate', async () => {
    const lib = await freshLibrary();
    const [a, b] = [await makePhoto(1), await makePhoto(2)];
    const r = await addPhotos(lib, [a, b, { ...a, name: 'copy.jpg' }], 1000);
    expect(r.map((x) => x.outcome)).toEqual(['added', 'added', 'duplicate']);
    expect(await addPhotos(lib, [a])).toEqual([{ id: a.id, outcome: 'duplicate' }]);
    const rec = await getPhoto(lib, a.id);
    expect(rec).toMatchObject({ id: a.id, name: a.name, status: 'pending', addedAt: 1000, width: a.width, capturedAt: a.capturedAt });
    expect(new Uint8Array((await getThumbnail(lib, a.id))!.bytes)).toEqual(new Uint8Array(a.thumbnail.bytes));
    const orig = await getOriginal(lib, a.id);
    expect(new Uint8Array(await orig!.blob.arrayBuffer())).toEqual(new Uint8Array(await a.original.arrayBuffer()));
    expect(await countPhotos(lib)).toBe(2);
    expect(await countPhotos(lib, 'pending')).toBe(2);
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });

  test('after indexing the original is dropped unless keepOriginals; status counts follow', async () => {
    const lib = await freshLibrary();
    const [a, b] = [await makePhoto(1), await makePhoto(2)];
    await addPhotos(lib, [a]);
    await finishIndexing(lib, indexResult(a.id, 1));
    expect(await getOriginal(lib, a.id)).toBeUndefined();
    await updateSettings(lib, { keepOriginals: true });
    expect((await getSettings(lib)).keepOriginals).toBe(true);
    await addPhotos(lib, [b]);
    await finishIndexing(lib, indexResult(b.id, 2));
    expect(await getOriginal(lib, b.id)).toBeDefined();
    expect(await countByStatus(lib)).toEqual({ pending: 0, indexing: 0, indexed: 2, failed: 0, stale: 0 });
    await updateSettings(lib, { keepOriginals: false }); // frees the originals of indexed photos
    expect(await getOriginal(lib, b.id)).toBeUndefined();
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });

  test('paging: newest first and oldest first, by status, by capture date; pages neither overlap nor skip', async () => {
    const lib = await freshLibrary();
    const photos = await Promise.all(Array.from({ length: 23 }, (_, i) => makePhoto(i)));
    for (let i = 0; i < photos.length; i++) await addPhotos(lib, [photos[i]], 10_000 + (i % 5)); // equal addedAt: id breaks ties
    const all = async (q: Parameters<typeof listPhotos>[1]) => {
      const out: string[] = [];
      let page = await listPhotos(lib, q);
      for (;;) {
        out.push(...page.photos.map((p) => p.id));
        if (!page.next) return out;
        page = await listPhotos(lib, { ...q, after: page.next });
      }
    };
    const byAdded = [...photos].sort((x, y) => (10_000 + photos.indexOf(x) % 5) - (10_000 + photos.indexOf(y) % 5) || (x.id < y.id ? -1 : 1)).map((p) => p.id);
    expect(await all({ limit: 5, newestFirst: false })).toEqual(byAdded);
    expect(await all({ limit: 5 })).toEqual([...byAdded].reverse());
    expect(await all({ limit: 23 })).toHaveLength(23);
    await finishIndexing(lib, indexResult(photos[3].id, 3));
    await finishIndexing(lib, indexResult(photos[7].id, 7));
    expect(new Set(await all({ status: 'indexed', limit: 1 }))).toEqual(new Set([photos[3].id, photos[7].id]));
    expect(await all({ status: 'pending', limit: 4 })).toHaveLength(21);
    const captured = photos.filter((p) => p.capturedAt).sort((x, y) => (x.capturedAt! < y.capturedAt! ? -1 : x.capturedAt! > y.capturedAt! ? 1 : x.id < y.id ? -1 : 1));
    expect(await all({ order: 'captured', limit: 4, newestFirst: false })).toEqual(captured.map((p) => p.id));
    expect(await all({ order: 'captured', limit: 4 })).toEqual(captured.map((p) => p.id).reverse());
  });

  test('deleting a photo removes every row that belongs to it, and nothing else', async () => {
    const lib = await freshLibrary();
    const [a, b] = [await makePhoto(1), await makePhoto(2)];
    await addPhotos(lib, [a, b]);
    await finishIndexing(lib, indexResult(a.id, 1));
    await finishIndexing(lib, indexResult(b.id, 2));
    const chat = await createChat(lib, a.id);
    await appendTurns(lib, chat.id, [{ role: 'user', text: 'hi', at: 5 }]);
    await createChat(lib, b.id);
    const stores = ['photos', 'thumbnails', 'originals', 'tokens', 'chats', 'jobs', 'settings'] as const;
    const before = await dump(lib, stores);
    const embeddingsBefore = await embeddingRows(lib);
    expect(embeddingsBefore.map((r) => r.photoId).sort()).toEqual([a.id, b.id].sort());
    await deletePhoto(lib, a.id);
    const after = await dump(lib, stores);
    const dropA = (rows: unknown[]) => rows.filter((r) => (r as { id?: string; photoId?: string }).photoId !== a.id && (r as { id?: string }).id !== a.id);
    for (const store of stores) expect(after[store], store).toEqual(dropA(before[store]));
    expect(await embeddingRows(lib)).toEqual(embeddingsBefore.filter((r) => r.photoId !== a.id));
    expect(after.photos).toHaveLength(1);
    await expect(deletePhoto(lib, a.id)).rejects.toBeInstanceOf(PhotoNotFoundError);
    expect(await deletePhotos(lib, [a.id, b.id])).toEqual([b.id]);
    expect((await verifyLibrary(lib)).counts).toMatchObject({ photos: 0, thumbnails: 0, tokens: 0, embeddings: 0, chats: 0, jobs: 0, originals: 0 });
  });

  test('clear library empties every content store and keeps settings', async () => {
    const lib = await freshLibrary();
    await updateSettings(lib, { keepOriginals: true });
    const ps = await Promise.all([1, 2, 3].map((i) => makePhoto(i)));
    await addPhotos(lib, ps);
    await finishIndexing(lib, indexResult(ps[0].id, 1));
    await createChat(lib, ps[0].id);
    await clearLibrary(lib);
    const { counts } = await verifyLibrary(lib);
    expect(counts).toEqual({ photos: 0, thumbnails: 0, originals: 0, tokens: 0, embeddings: 0, chats: 0, jobs: 0, settings: 1 });
    expect((await getSettings(lib)).keepOriginals).toBe(true);
    expect(await claimNextJob(lib)).toBeNull();
  });

  test('chats: turns with timestamps, listed per photo, oldest first', async () => {
    const lib = await freshLibrary();
    const p = await makePhoto(1);
    await addPhotos(lib, [p]);
    const c1 = await createChat(lib, p.id, 100);
    const c2 = await createChat(lib, p.id, 200);
    await appendTurns(lib, c1.id, [{ role: 'user', text: 'what colour?', at: 110 }, { role: 'assistant', text: 'red', at: 120 }]);
    const chats = await listChats(lib, p.id);
    expect(chats.map((c) => c.id)).toEqual([c1.id, c2.id]);
    expect(chats[0]).toMatchObject({ updatedAt: 120, turns: [{ role: 'user', text: 'what colour?', at: 110 }, { role: 'assistant', text: 'red', at: 120 }] });
    await expect(createChat(lib, 'f'.repeat(64))).rejects.toBeInstanceOf(PhotoNotFoundError);
  });
});

describe('embedding shards', () => {
  test('many photos in one shard: rows stay sorted, replace in place, remove cleanly; loadEmbeddings packs them all', async () => {
    const lib = await freshLibrary();
    const ps = await Promise.all(Array.from({ length: 40 }, (_, i) => makePhoto(i)));
    // force some into the same shard as ps[0] by giving them ids with its prefix (ids are opaque to the shards)
    const prefix = ps[0].id.slice(0, 2);
    const same = ps.slice(1, 12).map((p, i) => ({ ...p, id: prefix + p.id.slice(2, 62) + i.toString(16).padStart(2, '0') }));
    const all = [ps[0], ...same, ...ps.slice(12)];
    await addPhotos(lib, all);
    const want = new Map<string, Uint16Array>();
    for (let i = 0; i < all.length; i++) {
      const r = indexResult(all[i].id, i);
      await finishIndexing(lib, r);
      want.set(all[i].id, meanEmbedding(r.tokens, K, D));
    }
    await finishIndexing(lib, indexResult(same[3].id, 999)); // re-index: replaced, not duplicated
    want.set(same[3].id, meanEmbedding(indexResult(same[3].id, 999).tokens, K, D));
    await deletePhotos(lib, [same[0].id, same[7].id, ps[20].id]);
    for (const id of [same[0].id, same[7].id, ps[20].id]) want.delete(id);
    const m = await loadEmbeddings(lib, MODEL);
    expect(m.d).toBe(D);
    expect(m.photoIds.length).toBe(want.size);
    m.photoIds.forEach((id, i) => expect(Array.from(m.data.subarray(i * D, (i + 1) * D)), id).toEqual(Array.from(want.get(id)!)));
    const shard = await (await lib.connection()).get('embeddings', [MODEL, prefix]);
    expect(shard!.photoIds).toEqual([...shard!.photoIds].sort());
    expect(shard!.photoIds.length).toBe(1 + 11 - 2 + all.slice(12).filter((p) => p.id.startsWith(prefix)).length - (ps[20].id.startsWith(prefix) ? 1 : 0));
    expect((await verifyLibrary(lib)).problems).toEqual([]);
  });
});
