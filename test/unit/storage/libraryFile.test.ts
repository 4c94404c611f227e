import { describe, expect, test } from 'vitest';
import { crc32 } from '../../../src/storage/crc32';
import {
  LibraryFileError, LibraryWriter, bytesSource, decodeLibrary, encodeLibrary, openLibraryFile, reconcilePhoto,
  type ByteSource, type LibraryPhotoData,
} from '../../../src/storage/libraryFile';
import type { ChatRecord, PhotoRecord } from '../../../src/storage/records';
import { meanEmbedding } from '../../../src/storage/embedding';
import { decodeTokens, encodeTokens } from '../../../src/storage/tokenCodec';

const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

function bits(n: number, seed: number): Uint16Array {
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  return out;
}

function photo(i: number, over: Partial<PhotoRecord> = {}): LibraryPhotoData {
  const id = hex(i);
  const K = 4, d = 8;
  return {
    photo: {
      id, name: `IMG_${i}.jpg`, type: 'image/jpeg', byteSize: 1000 + i, width: 640, height: 480, addedAt: 1_700_000_000_000 + i,
      capturedAt: '2021-06-15T13:45:30', status: 'indexed', modelId: 'tiny-v1', indexedAt: 1_700_000_100_000, ...over,
    },
    thumbnail: { type: 'image/jpeg', width: 32, height: 24, bytes: new Uint8Array(37 + i).fill(i) },
    tokens: [{ modelId: 'tiny-v1', bytes: encodeTokens({ modelId: 'tiny-v1', K, d, data: bits(K * d, i + 1) }) }],
    embeddings: [{ modelId: 'tiny-v1', d, vector: bits(d, i + 100) }],
  };
}

const chat: ChatRecord = {
  id: 'chat-1', photoId: hex(1), createdAt: 1, updatedAt: 3,
  turns: [{ role: 'user', text: 'what is this?', at: 2 }, { role: 'assistant', text: 'a red square', at: 3 }],
};

function sample(): Uint8Array {
  const p2 = photo(2, { status: 'pending', modelId: undefined, indexedAt: undefined });
  p2.tokens = [];
  p2.embeddings = [];
  p2.original = { type: 'image/jpeg', bytes: new Uint8Array([1, 2, 3, 4, 5]) };
  return encodeLibrary({ photos: [photo(1), p2], chats: [chat], settings: { keepOriginals: true } }, { generator: 'test', createdAt: new Date(0) });
}

/** A ByteSource that records every read, to prove that nothing big is read (or allocated). */
function spySource(bytes: Uint8Array, size = bytes.length): ByteSource & { reads: number[] } {
  const reads: number[] = [];
  return {
    size, reads,
    read: async (offset, length) => {
      reads.push(length);
      if (offset + length > bytes.length) throw new Error('read past the end');
      return bytes.subarray(offset, offset + length);
    },
  };
}

async function expectFileError(p: Promise<unknown>, problem?: string): Promise<LibraryFileError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LibraryFileError);
    expect((e as Error).name).toBe('LibraryFileError');
    if (problem) expect((e as LibraryFileError).problem).toBe(problem);
    return e as LibraryFileError;
  }
  throw new Error('expected a LibraryFileError');
}

describe('libraryFile', () => {
  test('round trip: every record, blob and chat comes back equal', async () => {
    const bytes = sample();
    const { manifest, photos, skipped } = await decodeLibrary(bytes);
    expect(skipped).toEqual([]);
    expect(manifest).toMatchObject({ format: 'fwd2bot-library', version: 1, generator: 'test', createdAt: new Date(0).toISOString(), settings: { keepOriginals: true } });
    expect(manifest.chats).toEqual([chat]);
    const want1 = photo(1);
    expect(photos[0].photo).toEqual(want1.photo);
    expect(photos[0].thumbnail).toEqual(want1.thumbnail);
    expect(photos[0].tokens).toEqual(want1.tokens);
    expect(photos[0].embeddings).toEqual(want1.embeddings);
    expect(photos[1].photo.status).toBe('pending');
    expect(Array.from(photos[1].original!.bytes)).toEqual([1, 2, 3, 4, 5]);
    for (const e of manifest.photos.flatMap((p) => [...p.tokens, ...p.embeddings])) expect(e.offset % 8).toBe(0);
  });

  test('the streaming writer and encodeLibrary produce the same bytes', () => {
    const w = new LibraryWriter({ generator: 'test', createdAt: new Date(0) });
    const parts = [...w.start(), ...w.addPhoto(photo(1)), ...w.finish()];
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { joined.set(p, at); at += p.length; }
    expect(joined).toEqual(encodeLibrary({ photos: [photo(1)] }, { generator: 'test', createdAt: new Date(0) }));
    expect(w.bytesWritten).toBe(joined.length);
    expect(() => w.addPhoto(photo(2))).toThrow(LibraryFileError);
  });

  test('the writer refuses entries the reader would reject', () => {
    const w = new LibraryWriter();
    w.start();
    expect(() => w.addPhoto(photo(1, { id: 'not-a-hash' }))).toThrow(/SHA-256/);
    const badTokens = photo(3);
    badTokens.tokens[0].bytes = badTokens.tokens[0].bytes.subarray(0, 10);
    expect(() => w.addPhoto(badTokens)).toThrow(/truncated/);
    w.addPhoto(photo(1));
    expect(() => w.addPhoto(photo(1))).toThrow(/twice/);
  });

  test('truncation at every byte boundary throws a clean LibraryFileError', async () => {
    const bytes = sample();
    for (let n = 0; n < bytes.length; n++) {
      await expectFileError(openLibraryFile(bytesSource(bytes.subarray(0, n))));
    }
  });

  test('wrong magic, wrong version, damaged manifest', async () => {
    const bytes = sample();
    const m = (f: (b: Uint8Array, dv: DataView) => void) => {
      const b = bytes.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    await expectFileError(openLibraryFile(bytesSource(m((b) => (b[0] = 0x58)))), 'bad-magic');
    await expectFileError(openLibraryFile(bytesSource(m((_, dv) => dv.setUint32(4, 2, true)))), 'unsupported-version');
    await expectFileError(openLibraryFile(bytesSource(m((b, dv) => dv.setUint32(b.length - 4, 2, true)))), 'bad-trailer');
    const manifestAt = new DataView(bytes.buffer).getUint32(bytes.length - 24, true);
    await expectFileError(openLibraryFile(bytesSource(m((b) => (b[manifestAt + 3] ^= 1)))), 'checksum');
    // valid checksum over invalid JSON
    const bad = m((b, dv) => {
      b[manifestAt] = 0x7b; b[manifestAt + 1] = 0x7b; // "{{"
      dv.setUint32(b.length - 12, crc32(b.subarray(manifestAt, b.length - 24)), true);
    });
    await expectFileError(openLibraryFile(bytesSource(bad)), 'bad-manifest');
  });

  test('huge declared lengths are rejected without reading or allocating them', async () => {
    const bytes = sample();
    // manifest length field = 4 GiB - 1
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(b.length - 16, 0xffffffff, true);
    const src = spySource(b);
    await expectFileError(openLibraryFile(src), 'too-large');
    expect(Math.max(...src.reads)).toBeLessThanOrEqual(24);
    // a file claiming to be 8 PiB: the manifest offset / size check fails before any big read
    const src2 = spySource(bytes, 2 ** 53 - 1);
    await expectFileError(openLibraryFile(src2));
    expect(Math.max(...src2.reads)).toBeLessThanOrEqual(24);
    // a blob declaring 2 GiB inside the manifest: that blob is skipped with a reason, never read
    const withHuge = rewriteManifest(bytes, (man) => { man.photos[0].thumbnail.length = 2 ** 31; });
    const src3 = spySource(withHuge);
    const reader = await openLibraryFile(src3);
    expect(reader.skipped).toContainEqual(expect.objectContaining({ kind: 'thumbnail', id: hex(1), reason: expect.stringMatching(/exceeds the limit/) }));
    await reader.readPhoto(reader.manifest.photos[0]);
    expect(Math.max(...src3.reads)).toBeLessThan(withHuge.length);
    // too many photos declared
    const many = rewriteManifest(bytes, (man) => { man.photos = new Array(11).fill(man.photos[0]); });
    await expectFileError(openLibraryFile(bytesSource(many), { maxPhotos: 10 }), 'too-large');
  });

  test('damaged or invalid entries are skipped with reasons; the rest imports', async () => {
    const bytes = sample();
    const edited = rewriteManifest(bytes, (man) => {
      man.photos.push({ photo: { ...man.photos[0].photo, id: 'zz' }, tokens: [], embeddings: [] }); // bad id
      man.photos.push(man.photos[0]); // duplicate
      man.photos[0].tokens[0].crc32 = (man.photos[0].tokens[0].crc32 + 1) % 2 ** 32; // damaged tokens blob (crc mismatch)
      man.photos[0].embeddings[0].length = 6; // not 2*d
      man.chats.push({ id: 'c2', photoId: hex(1), createdAt: 1, updatedAt: 1, turns: [{ role: 'system', text: 'x', at: 1 }] });
      man.photos[1].photo.status = 'exploded';
    });
    const { photos, skipped } = await decodeLibrary(edited);
    const reasons = skipped.map((s) => `${s.kind}:${s.reason}`);
    expect(reasons).toContainEqual(expect.stringMatching(/^photo:id is not a 64-character/));
    expect(reasons).toContainEqual('photo:listed twice in the file');
    expect(reasons).toContainEqual(expect.stringMatching(/^tokens:checksum mismatch/));
    expect(reasons).toContainEqual(expect.stringMatching(/^embedding:length 6 is not 2\*d/));
    expect(reasons).toContainEqual(expect.stringMatching(/^chat:turn 0/));
    expect(reasons).toContainEqual(expect.stringMatching(/^photo:status "exploded"/));
    expect(photos.map((p) => p.photo.id)).toEqual([hex(1)]);
    expect(photos[0].tokens).toEqual([]);
    // the photo is no longer complete and has no original: reconcile marks it failed with a reason
    expect(reconcilePhoto(photos[0])).toMatch(/marked failed/);
    expect(photos[0].photo.status).toBe('failed');
    expect(photos[0].photo.failReason).toMatch(/Add the photo again/);
  });

  test('reconcilePhoto: incomplete photo with its original goes back to pending; complete stays', () => {
    const p = photo(5);
    expect(reconcilePhoto(p)).toBeNull();
    expect(p.photo.status).toBe('indexed');
    const q = photo(6);
    q.tokens = [];
    q.original = { type: 'image/jpeg', bytes: new Uint8Array(3) };
    expect(reconcilePhoto(q)).toMatch(/embedding without matching tokens dropped; tokens or thumbnail missing: queued for re-indexing/);
    expect(q.photo.status).toBe('pending');
    expect(q.embeddings).toEqual([]);
    const e = photo(8);
    e.embeddings = [];
    expect(reconcilePhoto(e)).toMatch(/recomputed/);
    expect(e.photo.status).toBe('indexed');
    const t = decodeTokens(e.tokens[0].bytes);
    expect(e.embeddings).toEqual([{ modelId: 'tiny-v1', d: 8, vector: meanEmbedding(t.data, t.K, t.d) }]);
    const r = photo(7, { status: 'indexing' });
    r.original = { type: 'image/jpeg', bytes: new Uint8Array(3) };
    reconcilePhoto(r);
    expect(r.photo.status).toBe('pending');
  });
});

/** Decodes the manifest, lets `edit` change it, and writes it back with a correct checksum and trailer. */
function rewriteManifest(bytes: Uint8Array, edit: (m: any) => void): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = dv.getUint32(bytes.length - 24, true);
  const len = dv.getUint32(bytes.length - 16, true);
  const man = JSON.parse(new TextDecoder().decode(bytes.subarray(at, at + len)));
  edit(man);
  const json = new TextEncoder().encode(JSON.stringify(man));
  const out = new Uint8Array(at + json.length + 24);
  out.set(bytes.subarray(0, at));
  out.set(json, at);
  out.set(bytes.subarray(bytes.length - 24), at + json.length);
  const odv = new DataView(out.buffer);
  odv.setUint32(out.length - 16, json.length, true);
  odv.setUint32(out.length - 12, crc32(json), true);
  return out;
}
