// The Node CLI end to end on the tiny fixture: `index` writes a library file the web app's reader accepts
// (tokens, embeddings, thumbnails), `search` ranks like the PyTorch reference, `ask` streams the golden
// answer, and usage / format errors exit with the documented codes and messages.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { main } from '../../../cli/fwd2bot';
import { indexFolder } from '../../../cli/indexFolder';
import { readLibraryEmbeddings } from '../../../cli/libraryEmbeddings';
import { folderSource } from '../../../cli/nodeSource';
import { createNodeBackend } from '../../../cli/ortNode';
import { decodePng } from '../../../cli/png';
import { Engine } from '../../../src/engine/core/engine';
import { f16ArrayToF32 } from '../../../src/shared/fp16';
import { decodeLibrary } from '../../../src/storage/libraryFile';
import { decodeTokens } from '../../../src/storage/tokenCodec';
import { maxAbsDiff, type Golden } from './golden';

const pkg = fileURLToPath(new URL('../../fixtures/tiny-package/', import.meta.url));
const golden = JSON.parse(readFileSync(join(pkg, 'golden.json'), 'utf8')) as Golden;
const work = mkdtempSync(join(tmpdir(), 'fwd2bot-cli-'));
const photos = join(work, 'photos');
const lib = join(work, 'lib.f2blib');
let engine: Engine;

/** Runs main() with stdout/stderr captured. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  rmSync(photos, { recursive: true, force: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(photos, 'sub'), { recursive: true });
  for (const g of golden.images) copyFileSync(join(pkg, g.file), join(photos, g.file.replace('samples/', g.file.endsWith('03.png') ? 'sub/' : '')));
  copyFileSync(join(pkg, golden.images[0].file), join(photos, 'zz_copy_of_00.png')); // a duplicate
  writeFileSync(join(photos, 'notes.txt'), 'not a photo');
  engine = await Engine.load(createNodeBackend(), folderSource(pkg));
});
afterAll(async () => {
  await engine?.release();
  rmSync(work, { recursive: true, force: true });
});

describe('fwd2bot index', () => {
  test('writes a library file the app can import: every photo indexed with tokens, embedding and thumbnail', async () => {
    const ticks: number[] = [];
    const r = await indexFolder(engine, photos, { out: lib, progress: () => ({ tick: (n) => ticks.push(n), finish: () => undefined }) });
    expect(r.indexed).toBe(golden.images.length);
    expect(r.duplicates).toEqual(['zz_copy_of_00.png']);
    expect(r.failed).toEqual([]);
    expect(ticks).toEqual([0, 1, 2, 3, 4]);
    const { photos: read, skipped } = await decodeLibrary(new Uint8Array(readFileSync(lib)));
    expect(skipped).toEqual([]);
    expect(read.map((p) => p.photo.name).sort()).toEqual(golden.images.map((g) => g.file.replace('samples/', '')).sort());
    for (const p of read) {
      const g = golden.images.find((x) => x.file.endsWith(p.photo.name))!;
      expect(p.photo).toMatchObject({ status: 'indexed', modelId: engine.info.modelId, type: 'image/png', width: 256, height: 256 });
      const t = decodeTokens(p.tokens[0].bytes, engine.info.modelId);
      expect([t.K, t.d]).toEqual([4, 32]);
      // fp16-stored tokens are the reference within fp16 rounding (|x| < 4: step 2^-9)
      expect(maxAbsDiff(f16ArrayToF32(t.data), g.compressed.flat())).toBeLessThan(golden.tolerances.compressed + 2 ** -9);
      expect(maxAbsDiff(f16ArrayToF32(p.embeddings[0].vector), g.embedding)).toBeLessThan(golden.tolerances.embedding + 2 ** -11);
      const thumb = decodePng(p.thumbnail!.bytes);
      expect([thumb.width, thumb.height, p.thumbnail!.width]).toEqual([256, 256, 256]); // already under 320
    }
  });

  test('the command reports failures (non-PNG) and exits 1, still writing the others', async () => {
    writeFileSync(join(photos, 'scan.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0, 0]));
    const r = await cli('index', photos, '--model', pkg, '--out', join(work, 'cmd.f2blib'));
    rmSync(join(photos, 'scan.jpg'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Indexed 4 of 6 photos/);
    expect(r.err).toMatch(/failed: scan.jpg: "scan.jpg" is a JPEG file; the command line reads PNG only./);
    expect((await decodeLibrary(new Uint8Array(readFileSync(join(work, 'cmd.f2blib'))))).photos).toHaveLength(4);
  });
});

describe('fwd2bot search and ask', () => {
  test('search ranks the indexed photos like the reference', async () => {
    const e = await readLibraryEmbeddings(lib, engine.info.modelId, engine.info.d);
    expect(e.photoIds).toHaveLength(4);
    for (const q of golden.queries) {
      const r = await cli('search', q.query, '--model', pkg, '--library', lib, '--top', '3');
      expect(r.code).toBe(0);
      const names = r.out.trim().split('\n').map((l) => l.trim().split(/\s+/)[2]);
      expect(names, q.query).toEqual(q.ranking.slice(0, 3).map((i) => golden.images[i].file.replace('samples/', '')));
    }
  });

  test('ask streams the answer to stdout and timings to stderr', async () => {
    const g = golden.images[1];
    const a = g.answers.find((x) => x.k === 1 && x.question === 'where is the sign ?')!;
    const r = await cli('ask', join(pkg, g.file), a.question, '--model', pkg, '--k', '1', '--max-tokens', '12');
    expect(r.code).toBe(0);
    // from the fp16-stored tokens, as the app answers: the reference's first tokens at least
    expect(r.out.trim().split(' ').slice(0, 3)).toEqual(a.text.split(' ').slice(0, 3));
    expect(r.err).toMatch(/tokens \((stop|length)\), first after \d+ ms/);
  });

  test('usage errors exit 2 with the usage; a missing model exits 1 with what to do', async () => {
    expect((await cli('ask', 'only-an-image.png')).code).toBe(2);
    expect((await cli('frobnicate')).err).toMatch(/unknown command "frobnicate"/);
    expect((await cli('search', 'q', '--tpo', '3')).err).toMatch(/unknown option --tpo/);
    const r = await cli('search', 'q', '--model', join(work, 'nowhere'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/"manifest.json" is not a valid model file: is missing from/);
    expect(r.err).toMatch(/what to do: Point --model at a model package folder/);
  });
});
