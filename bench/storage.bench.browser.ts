// Photo library speed in Chromium's IndexedDB: listing / paging 10k photos and loading 100k embeddings
// (d = 256, fp16) for search. Writes bench/results/storage.json.
// Run: nice -n 10 npx vitest run --config vitest.bench.config.ts bench/storage.bench.browser.ts

import { deleteDB, openDB } from 'idb';
import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import {
  addPhotos, claimNextJob, countByStatus, countPhotos, finishIndexing, listPhotos, loadEmbeddings, openLibrary, type Library, type NewPhoto,
} from '../src/storage';
import type { EmbeddingShard, PhotoRecord, PhotoStatus } from '../src/storage/records';

const PHOTOS = 10_000;
const EMBEDDINGS = 100_000;
const D = 256;
const PAGE = 100;
const MODEL = 'bench-model';

/** A random 64-hex id, like the SHA-256 photo ids (uniform over the 256 embedding shards). */
function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
const ms = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: ms(t0), value };
}

/** Median of `runs` timings of f. */
async function median(runs: number, f: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) t.push((await timed(f)).ms);
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

async function fillPhotos(lib: Library): Promise<number> {
  const db = await lib.connection();
  const t0 = performance.now();
  const statuses: PhotoStatus[] = ['indexed', 'indexed', 'indexed', 'indexed', 'indexed', 'indexed', 'indexed', 'indexed', 'pending', 'failed'];
  for (let start = 0; start < PHOTOS; start += 1000) {
    const tx = db.transaction(['photos', 'thumbnails'], 'readwrite');
    for (let i = start; i < Math.min(start + 1000, PHOTOS); i++) {
      const p: PhotoRecord = {
        id: randomId(), name: `IMG_${i}.jpg`, type: 'image/jpeg', byteSize: 3_000_000 + i, width: 4032, height: 3024,
        addedAt: 1_700_000_000_000 + i * 1000, capturedAt: `2023-01-01T00:00:${String(i % 60).padStart(2, '0')}`,
        status: statuses[i % statuses.length], modelId: MODEL, indexedAt: 1_700_000_000_000,
      };
      if (p.status === 'failed') p.failReason = 'bench';
      void tx.objectStore('photos').put(p);
      void tx.objectStore('thumbnails').put({ photoId: p.id, type: 'image/jpeg', width: 320, height: 240, bytes: new ArrayBuffer(12_000) });
    }
    await tx.done;
  }
  return ms(t0);
}

/** 100k embedding rows written straight into their shards (as finishIndexing would leave them). */
async function fillEmbeddings(lib: Library): Promise<{ ms: number; firstRow: Uint16Array; firstId: string }> {
  const db = await lib.connection();
  const t0 = performance.now();
  const ids = Array.from({ length: EMBEDDINGS }, randomId).sort();
  const byShard = new Map<string, string[]>();
  for (const id of ids) {
    const k = id.slice(0, 2);
    if (!byShard.has(k)) byShard.set(k, []);
    byShard.get(k)!.push(id);
  }
  const tx = db.transaction('embeddings', 'readwrite');
  let row = 0;
  for (const [shard, photoIds] of byShard) {
    const vectors = new Uint16Array(photoIds.length * D); // (n, d) fp16
    for (let i = 0; i < vectors.length; i++) vectors[i] = (row * D + i) & 0x3bff;
    row += photoIds.length;
    const rec: EmbeddingShard = { modelId: MODEL, shard, d: D, photoIds, vectors };
    void tx.store.put(rec);
  }
  await tx.done;
  const first = byShard.values().next().value!;
  return { ms: ms(t0), firstRow: Uint16Array.from({ length: D }, (_, j) => j & 0x3bff), firstId: first[0] };
}

test('storage bench', async () => {
  const name = `bench-${crypto.randomUUID()}`;
  const lib = await openLibrary({ name, broadcast: false });
  try {
    // --- 10k photos ---------------------------------------------------------------------------------------
    const fillPhotosMs = await fillPhotos(lib);
    expect(await countPhotos(lib)).toBe(PHOTOS);
    const count = await median(5, () => countPhotos(lib));
    const countStatus = await median(5, () => countByStatus(lib));
    const firstPageNewest = await median(7, () => listPhotos(lib, { limit: PAGE }));
    const firstPageOldest = await median(7, () => listPhotos(lib, { limit: PAGE, newestFirst: false }));
    const firstPageStatus = await median(7, () => listPhotos(lib, { limit: PAGE, status: 'pending' }));
    const pageAll = async (newestFirst: boolean) => {
      let n = 0;
      let page = await listPhotos(lib, { limit: PAGE, newestFirst });
      for (;;) {
        n += page.photos.length;
        if (!page.next) return n;
        page = await listPhotos(lib, { limit: PAGE, newestFirst, after: page.next });
      }
    };
    const allNewest = await timed(() => pageAll(true));
    const allOldest = await timed(() => pageAll(false));
    expect(allNewest.value).toBe(PHOTOS);
    expect(allOldest.value).toBe(PHOTOS);
    // the cursor loop listPhotos falls back to where IDBIndex.getAllRecords is missing, for comparison
    const db = await lib.connection();
    const cursorPage = await median(7, async () => {
      const tx = db.transaction('photos');
      const out: PhotoRecord[] = [];
      for (let c = await tx.store.index('by-added').openCursor(null, 'prev'); c && out.length < PAGE; c = await c.continue()) out.push(c.value);
      await tx.done;
      return out;
    });
    const getAllPhotos = await median(3, () => db.getAll('photos'));

    // --- 100k embeddings ------------------------------------------------------------------------------------
    const fill = await fillEmbeddings(lib);
    const firstLoad = await timed(() => loadEmbeddings(lib, MODEL));
    expect(firstLoad.value.photoIds.length).toBe(EMBEDDINGS);
    expect(firstLoad.value.data.length).toBe(EMBEDDINGS * D);
    expect(firstLoad.value.photoIds[0]).toBe(fill.firstId);
    expect(Array.from(firstLoad.value.data.subarray(0, D))).toEqual(Array.from(fill.firstRow));
    const load = await median(5, () => loadEmbeddings(lib, MODEL));
    const mb = (EMBEDDINGS * D * 2) / 2 ** 20;
    // the same 100k rows as one record per photo (the v1 layout), read the way v1 did: getAll on a by-model index
    const rowsName = `${name}-rows`;
    const rowsDb = await openDB(rowsName, 1, { upgrade(d) { d.createObjectStore('e', { keyPath: ['photoId', 'modelId'] }).createIndex('by-model', 'modelId'); } });
    for (let start = 0; start < EMBEDDINGS; start += 10_000) {
      const tx = rowsDb.transaction('e', 'readwrite');
      for (let i = start; i < start + 10_000; i++) void tx.store.put({ photoId: firstLoad.value.photoIds[i], modelId: MODEL, d: D, vector: firstLoad.value.data.slice(i * D, (i + 1) * D) });
      await tx.done;
    }
    const rowsLoad = await median(3, async () => {
      const rows = await rowsDb.getAllFromIndex('e', 'by-model', MODEL);
      const data = new Uint16Array(rows.length * D);
      rows.forEach((r, i) => data.set(r.vector, i * D));
      return data;
    });
    rowsDb.close();
    await deleteDB(rowsName);

    // --- adding through the real path (hash ids, thumbnails, originals, jobs) --------------------------------
    const adds: NewPhoto[] = [];
    for (let i = 0; i < 500; i++) {
      adds.push({
        id: randomId(), name: `new_${i}.jpg`, type: 'image/jpeg', byteSize: 50_000, width: 4032, height: 3024,
        thumbnail: { type: 'image/jpeg', width: 320, height: 240, bytes: new ArrayBuffer(12_000) },
        original: new Blob([new Uint8Array(50_000)], { type: 'image/jpeg' }),
      });
    }
    const add = await timed(async () => {
      for (let i = 0; i < adds.length; i += 20) await addPhotos(lib, adds.slice(i, i + 20));
    });
    // finishing an index with 100k embeddings stored: one transaction that rewrites the photo's shard (~390 rows)
    const FINISH = 100;
    let finishMs = 0;
    for (let i = 0; i < FINISH; i++) {
      const job = await claimNextJob(lib);
      const tokens = new Uint16Array(16 * D).fill(0x3c00);
      const t = await timed(() => finishIndexing(lib, { photoId: job!.photo.id, modelId: MODEL, K: 16, d: D, tokens }));
      finishMs += t.ms;
    }
    expect((await loadEmbeddings(lib, MODEL)).photoIds.length).toBe(EMBEDDINGS + FINISH);

    const results = {
      area: 'storage',
      measuredAt: new Date().toISOString(),
      userAgent: navigator.userAgent,
      note: 'Chromium headless (playwright context), 2 CPU cores (run with no other jobs); medians where runs > 1.',
      photos: {
        n: PHOTOS, pageSize: PAGE,
        fillMs: fillPhotosMs,
        countMs: count,
        countByStatusMs: countStatus,
        firstPageNewestFirstMs: firstPageNewest,
        firstPageOldestFirstMs: firstPageOldest,
        firstPageByStatusMs: firstPageStatus,
        pageThroughAllNewestFirstMs: allNewest.ms,
        pageThroughAllOldestFirstMs: allOldest.ms,
        cursorPageNewestFirstMs: cursorPage,
        getAllPhotoRecordsMs: getAllPhotos,
      },
      embeddings: {
        n: EMBEDDINGS, d: D, dtype: 'fp16', megabytes: Math.round(mb * 10) / 10,
        layout: '256 shards per model, (n, d) fp16 each',
        fillMs: fill.ms,
        firstLoadMs: firstLoad.ms,
        loadMs: load,
        loadMBps: Math.round(mb / (load / 1000)),
        oneRecordPerPhotoLoadMs: rowsLoad,
        shardSpeedup: Math.round((rowsLoad / load) * 10) / 10,
      },
      finishIndexing: { n: FINISH, K: 16, d: D, withEmbeddingsStored: EMBEDDINGS, meanMs: Math.round((finishMs / FINISH) * 100) / 100 },
      addPhotos: { n: adds.length, batch: 20, originalBytes: 50_000, thumbnailBytes: 12_000, totalMs: add.ms, perPhotoMs: Math.round((add.ms / adds.length) * 100) / 100 },
    };
    console.log(JSON.stringify(results, null, 2));
    await commands.writeFile('bench/results/storage.json', JSON.stringify(results, null, 2) + '\n');
  } finally {
    lib.close();
    await deleteDB(name);
  }
});
