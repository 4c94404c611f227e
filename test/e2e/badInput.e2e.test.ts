// Bad input, against the production build in Debian Chromium with the tiny test model: one drop holds every
// kind of file a user's camera roll or downloads folder can throw at the app (empty, cut short, text named
// .jpg, SVG, HEIC, a 50-megapixel photo, an animated GIF, CMYK JPEG, 16-bit PNG, EXIF orientation 6) next to
// good photos. Each bad file gets its own line in the import report with a specific reason, every decodable
// one is indexed (pixels of the thumbnails and, for EXIF orientation, of the model input checked), and the
// photos that were already in the library stay indexed, also after a reload; the file picker gives the same
// reasons. Then 1,000 files in one drop: the page keeps answering and its memory stays bounded while they are
// read, and every one is queued.
// Fixtures are generated at test time (badInputFixtures.ts in Node; JPEGs by OffscreenCanvas in the page);
// the only committed binary is the 428-byte test/e2e/fixtures/cmyk.jpg.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs } from '../../vitest.browser.config';
import { nodeFixtures } from './badInputFixtures';

const baseUrl = inject('baseUrl');
const modelUrl = inject('fixtureModelUrl');
const appUrl = `${baseUrl}?model=${modelUrl}`;
const shots = resolve(import.meta.dirname, '../../artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ORT_WARNING = /\[W:onnxruntime:/;

/** Bounds asserted (generous for a loaded 2-core CI machine; the 1,000-file test logs what it measured). */
const MANY_FILES = 1000;
const MAX_INPUT_DELAY_MS = 1000; // Event Timing duration of any click or key press while 1,000 files are read
const MAX_LONG_TASK_MS = 3000; // longest main-thread task while they are read
const MAX_JS_HEAP_BYTES = 64 * 2 ** 20; // JS heap (+ ArrayBuffers) of the page; the 1,000 files hold 100 MB
const BIG_W = 8660, BIG_H = 5774; // 50 megapixels

function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' && !ORT_WARNING.test(m.text())) errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('crash', () => errors.push('the page crashed'));
  return errors;
}

const toBase64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** Page side: builds the canvas-made fixtures, adds the Node-made ones, and drops them all on the drop zone. */
async function dropBadInputs(page: Page): Promise<void> {
  const files = nodeFixtures().map((f) => ({ name: f.name, type: f.type, b64: toBase64(f.bytes) }));
  await page.evaluate(async ({ files, bigW, bigH }) => {
    const jpeg = async (w: number, h: number, paint: (ctx: OffscreenCanvasRenderingContext2D) => void, quality = 0.95) => {
      const c = new OffscreenCanvas(w, h);
      paint(c.getContext('2d')!);
      return new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality })).arrayBuffer());
    };
    const png = async (w: number, h: number, paint: (ctx: OffscreenCanvasRenderingContext2D) => void) => {
      const c = new OffscreenCanvas(w, h);
      paint(c.getContext('2d')!);
      return c.convertToBlob({ type: 'image/png' });
    };
    // Two halves: stored left red | right blue (w x h). Upright orientation 6 = rotated 90° clockwise: top red, bottom blue.
    const halvesLR = (w: number, h: number) => (ctx: OffscreenCanvasRenderingContext2D) => {
      ctx.fillStyle = '#ff0000'; ctx.fillRect(0, 0, w / 2, h);
      ctx.fillStyle = '#0000ff'; ctx.fillRect(w / 2, 0, w / 2, h);
    };
    const halvesTB = (w: number, h: number) => (ctx: OffscreenCanvasRenderingContext2D) => {
      ctx.fillStyle = '#ff0000'; ctx.fillRect(0, 0, w, h / 2);
      ctx.fillStyle = '#0000ff'; ctx.fillRect(0, h / 2, w, h / 2);
    };
    /** APP1 Exif segment with only the orientation tag, inserted right after SOI. */
    const withOrientation = (b: Uint8Array<ArrayBuffer>, orientation: number) => {
      const tiff = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0];
      const body = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
      const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
      return new Blob([b.subarray(0, 2), Uint8Array.from(app1), b.subarray(2)], { type: 'image/jpeg' });
    };
    const dt = new DataTransfer();
    const add = (parts: BlobPart[], name: string, type: string) => dt.items.add(new File(parts, name, { type }));
    for (const f of files) add([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, f.type);
    const whole = await jpeg(96, 96, halvesLR(96, 96));
    add([whole.subarray(0, Math.floor(whole.length * 0.6))], 'cut-short.jpg', 'image/jpeg');
    // 50 megapixels: stored left red | right blue, with a green block in the top-left corner.
    add([await jpeg(bigW, bigH, (ctx) => {
      halvesLR(bigW, bigH)(ctx);
      ctx.fillStyle = '#00ff00'; ctx.fillRect(0, 0, bigW / 4, bigH / 4);
    }, 0.9)], 'huge-50mp.jpg', 'image/jpeg');
    add([withOrientation(await jpeg(64, 32, halvesLR(64, 32)), 6)], 'rotated-exif6.jpg', 'image/jpeg');
    // References for the model input: the same picture stored upright, and stored sideways without a tag.
    add([await png(32, 64, halvesTB(32, 64))], 'upright-reference.png', 'image/png');
    add([await png(64, 32, halvesLR(64, 32))], 'sideways-reference.png', 'image/png');
    const zone = document.querySelector('[data-testid="dropzone"]')!;
    for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { files, bigW: BIG_W, bigH: BIG_H });
}

interface Thumb { width: number; height: number; type: string; at: (fx: number, fy: number) => [number, number, number] }

/** The stored thumbnail of the photo named `name` (what the gallery shows), decoded, with a pixel reader. */
async function thumbnailOf(page: Page, name: string): Promise<Thumb> {
  const t = await page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('fwd2bot-library');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const get = <T,>(store: string, key?: IDBValidKey) => new Promise<T>((res, rej) => {
      const r = key === undefined ? db.transaction(store).objectStore(store).getAll() : db.transaction(store).objectStore(store).get(key);
      r.onsuccess = () => res(r.result as T);
      r.onerror = () => rej(r.error);
    });
    const photo = (await get<{ id: string; name: string }[]>('photos')).find((p) => p.name === name);
    if (!photo) { db.close(); return null; }
    const rec = await get<{ type: string; width: number; height: number; bytes: ArrayBuffer }>('thumbnails', photo.id);
    db.close();
    const bmp = await createImageBitmap(new Blob([rec.bytes], { type: rec.type }));
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bmp, 0, 0);
    return { width: bmp.width, height: bmp.height, type: rec.type, rgba: Array.from(ctx.getImageData(0, 0, bmp.width, bmp.height).data) };
  }, name);
  if (!t) throw new Error(`no photo named ${name} in the library`);
  return {
    width: t.width, height: t.height, type: t.type,
    at: (fx, fy) => {
      const x = Math.min(t.width - 1, Math.floor(fx * t.width)), y = Math.min(t.height - 1, Math.floor(fy * t.height));
      const i = 4 * (y * t.width + x);
      return [t.rgba[i], t.rgba[i + 1], t.rgba[i + 2]];
    },
  };
}

/** Colour names for asserting pixels of lossy thumbnails: each channel must be near 0 or near 255. */
function colourOf([r, g, b]: [number, number, number]): string {
  const level = (v: number) => (v > 200 ? 1 : v < 60 ? 0 : -1);
  const key = [level(r), level(g), level(b)].join('');
  return ({ '100': 'red', '010': 'green', '001': 'blue', '111': 'white', '000': 'black' } as Record<string, string>)[key] ?? `rgb(${r},${g},${b})`;
}

const cell = (page: Page, name: string) => page.locator(`[data-testid="virtual-grid"] .cell:has(.cell-name:text-is("${name}"))`);

/** The page's JS heap plus ArrayBuffer backing stores (where decoded pixels or file bytes would sit), in bytes. */
async function jsMemory(cdp: CDPSession): Promise<number> {
  const m = await cdp.send('Runtime.getHeapUsage') as { usedSize: number; backingStorageSize?: number };
  return m.usedSize + (m.backingStorageSize ?? 0);
}

const indexedCells = (page: Page) => page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]');
const queueIdle = (page: Page, timeout = 180_000) =>
  page.locator('[data-testid="queue-progress"][data-mode="idle"][data-queued="0"]').waitFor({ timeout });

/** Each bad file and the reason its line in the import report must give. */
const EXPECTED_PROBLEMS: [string, RegExp][] = [
  ['empty.jpg', /^The file is empty \(0 bytes\), so there is no picture in it\. Copy it again/],
  ['notes.jpg', /^Not a photo: the file holds text, although its name ends in \.jpg\. Add JPEG, PNG/],
  ['drawing.svg', /^Unsupported format: SVG\. SVG is a vector drawing, not a photo; export it as PNG or JPEG/],
  ['IMG_0042.HEIC', /^Unsupported format: HEIC\. This browser cannot decode HEIC\/HEIF photos \(the iPhone camera format\)\. Convert it to JPEG/],
  ['cut-short.jpg', /^The file is cut short \(truncated\), so part of the picture is missing\..*\(The JPEG has no end marker\.\)$/],
];
const GOOD = ['huge-50mp.jpg', 'animated.gif', 'cmyk.jpg', 'deep-16bit.png', 'rotated-exif6.jpg', 'upright-reference.png', 'sideways-reference.png'];

/** The import report's problem lines as {file name: reason}. */
async function problemsOf(page: Page): Promise<Record<string, string>> {
  const items = await page.locator('[data-testid="import-problems"] li').evaluateAll((lis) => lis.map((li) => [
    li.querySelector('.file-name')!.textContent!, li.querySelector('.reason')!.textContent!,
  ]));
  return Object.fromEntries(items);
}

/** "n of m indexed" from the queue progress. */
async function progressCounts(page: Page): Promise<[number, number]> {
  const text = await page.locator('[data-testid="queue-progress"] label').textContent();
  const m = /^(\d+) of (\d+) indexed/.exec(text ?? '');
  if (!m) throw new Error(`unexpected queue progress: ${text}`);
  return [Number(m[1]), Number(m[2])];
}

describe('bad input: every file gets its own status, nothing else is lost', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let errors: string[];
  let heapPeakDuringBadDrop = 0;
  let samples: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    page = await context.newPage();
    errors = watch(page);
    cdp = await context.newCDPSession(page);
    await page.goto(appUrl);
    await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 240_000 }).catch(async (e: unknown) => {
      throw new Error(`the model did not load: ${await page.getByTestId('model-status').textContent().catch(() => '?')} ${errors.join('; ')}`, { cause: e });
    });
  }, 300_000);
  afterAll(async () => { await browser?.close(); });

  test('a library with indexed photos before the bad drop', async () => {
    await page.getByRole('button', { name: 'Try sample photos (4)' }).click();
    await page.getByText('4 of 4 indexed').waitFor({ timeout: 120_000 });
    await queueIdle(page);
    samples = (await page.locator('[data-testid="virtual-grid"] .cell-name').allTextContents()).sort();
    expect(samples).toHaveLength(4);
    await page.getByTestId('import-report').getByRole('button', { name: 'Dismiss' }).click();
  });

  test('one drop of bad and good files: a reason for each bad file, the others added, nothing lost', async () => {
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        heapPeakDuringBadDrop = Math.max(heapPeakDuringBadDrop, await jsMemory(cdp).catch(() => 0));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await dropBadInputs(page);
      const report = page.getByTestId('import-report');
      await report.waitFor({ timeout: 120_000 });
      expect(await report.locator('p').first().textContent()).toBe(`${GOOD.length} photos added.`);
      expect(await report.locator('.warn').textContent()).toBe(`${EXPECTED_PROBLEMS.length} files could not be added:`);
      const problems = await problemsOf(page);
      expect(Object.keys(problems).sort()).toEqual(EXPECTED_PROBLEMS.map(([name]) => name).sort());
      for (const [name, reason] of EXPECTED_PROBLEMS) expect(problems[name], name).toMatch(reason);
      await page.screenshot({ path: join(shots, 'bad-input-01-report.png'), fullPage: true });
      // Every good file of the drop is indexed, and the photos that were there before still are.
      await queueIdle(page);
    } finally {
      sampling = false;
      await sampler;
    }
    const total = samples.length + GOOD.length;
    await page.getByText(`${total} of ${total} indexed`).waitFor();
    expect(await indexedCells(page).count()).toBe(total);
    const names = (await page.locator('[data-testid="virtual-grid"] .cell-name').allTextContents()).sort();
    expect(names).toEqual([...samples, ...GOOD].sort());
    expect(await page.locator('[data-testid="virtual-grid"] .cell[data-status="failed"]').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'bad-input-02-indexed.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  test('a 50-megapixel photo is scaled down: indexed, 320-pixel thumbnail, page heap bounded', async () => {
    await expect(cell(page, 'huge-50mp.jpg').getAttribute('data-status')).resolves.toBe('indexed');
    const t = await thumbnailOf(page, 'huge-50mp.jpg');
    expect([t.width, t.height]).toEqual([320, Math.round((320 * BIG_H) / BIG_W)]);
    expect([colourOf(t.at(0.05, 0.05)), colourOf(t.at(0.45, 0.6)), colourOf(t.at(0.8, 0.5))]).toEqual(['green', 'red', 'blue']);
    // The photo's facts keep its real size.
    await cell(page, 'huge-50mp.jpg').locator('.cell-open').click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`${BIG_W} × ${BIG_H}`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // The page never held the decoded pixels (200 MB at full size): its JS heap and buffers stayed small throughout.
    expect(heapPeakDuringBadDrop).toBeGreaterThan(0);
    expect(heapPeakDuringBadDrop).toBeLessThan(MAX_JS_HEAP_BYTES);
  });

  test('an animated GIF is read from its first frame', async () => {
    const t = await thumbnailOf(page, 'animated.gif');
    expect([t.width, t.height]).toEqual([32, 32]);
    // frame 1: red | blue; frame 2 (never shown): all green
    expect([colourOf(t.at(0.2, 0.5)), colourOf(t.at(0.8, 0.5))]).toEqual(['red', 'blue']);
  });

  test('a CMYK JPEG comes out in the right colours', async () => {
    const t = await thumbnailOf(page, 'cmyk.jpg');
    expect([t.width, t.height]).toEqual([32, 32]);
    expect([t.at(0.2, 0.2), t.at(0.8, 0.2), t.at(0.2, 0.8), t.at(0.8, 0.8)].map(colourOf)).toEqual(['red', 'green', 'blue', 'white']);
  });

  test('a 16-bit PNG comes out in the right colours', async () => {
    const t = await thumbnailOf(page, 'deep-16bit.png');
    expect([t.width, t.height]).toEqual([32, 32]);
    expect([t.at(0.2, 0.2), t.at(0.8, 0.2), t.at(0.2, 0.8), t.at(0.8, 0.8)].map(colourOf)).toEqual(['red', 'green', 'blue', 'white']);
  });

  test('EXIF orientation 6: the thumbnail and the model input are upright', async () => {
    // Stored 64 x 32, left red | right blue; orientation 6 turns it 90 degrees clockwise: 32 x 64, red on top.
    const t = await thumbnailOf(page, 'rotated-exif6.jpg');
    expect([t.width, t.height]).toEqual([32, 64]);
    expect([colourOf(t.at(0.5, 0.2)), colourOf(t.at(0.5, 0.8))]).toEqual(['red', 'blue']);
    // The model input: the photo's summary tokens must be nearest to those of the same picture stored upright,
    // not to the picture stored sideways (what the model would see if the orientation were ignored).
    await cell(page, 'rotated-exif6.jpg').locator('.cell-open').click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Find similar' }).click();
    const hits = page.locator('[data-testid="search-results"][data-status="done"] .hits li');
    await hits.first().waitFor({ timeout: 60_000 });
    const ranked = await hits.evaluateAll((lis) => lis.map((li) => ({
      name: li.querySelector('.hit-name')!.textContent!, score: Number((li as HTMLElement).dataset.score),
    })));
    const up = ranked.find((h) => h.name === 'upright-reference.png');
    const side = ranked.find((h) => h.name === 'sideways-reference.png');
    expect(ranked[0].name).toBe('upright-reference.png');
    expect(up!.score).toBeGreaterThan(side?.score ?? -1);
  });

  test('the file picker gives the same per-file reasons, and a reload loses nothing', async () => {
    const byName = new Map(nodeFixtures().map((f) => [f.name, f]));
    const pick = ['empty.jpg', 'IMG_0042.HEIC', 'notes.jpg'].map((n) => byName.get(n)!);
    await page.getByTestId('pick-files-input').setInputFiles([
      ...pick.map((f) => ({ name: f.name, mimeType: f.type, buffer: Buffer.from(f.bytes) })),
      { name: 'deep-16bit-copy.png', mimeType: 'image/png', buffer: Buffer.from(byName.get('deep-16bit.png')!.bytes) },
    ]);
    const report = page.getByTestId('import-report');
    await page.locator('[data-testid="import-report"] .warn').waitFor();
    expect(await report.locator('p').first().textContent()).toBe('0 photos added, 1 duplicate skipped (already in the library).');
    const problems = await problemsOf(page);
    expect(Object.keys(problems).sort()).toEqual(pick.map((f) => f.name).sort());
    for (const [name, reason] of EXPECTED_PROBLEMS) if (name in problems) expect(problems[name], name).toMatch(reason);
    await page.reload();
    await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
    const total = samples.length + GOOD.length;
    await page.getByText(`${total} of ${total} indexed`).waitFor();
    expect(await indexedCells(page).count()).toBe(total);
    expect(errors).toEqual([]);
  });

  test('1,000 files in one drop: clicks are answered while they are read, the heap stays bounded, all are queued', async () => {
    // What this proves: reading 1,000 files (100 MB in all) on the main thread never blocks the page for
    // long: while the import runs, a click opens the model card and Escape closes it again and again, and
    // every click and key press is handled and painted within MAX_INPUT_DELAY_MS as the browser itself
    // measures it (Event Timing API: input delay + handlers + next frame; a Playwright round trip on a loaded
    // machine adds seconds of its own, so it is only logged), and no main-thread task takes longer than
    // MAX_LONG_TASK_MS. The files' bytes are never held at once: the page's JS heap + ArrayBuffer backing
    // stores stay under MAX_JS_HEAP_BYTES (CDP Runtime.getHeapUsage, sampled between the clicks). Every file
    // is added and queued. Indexing is paused as soon as the first photos arrive, so the test measures the
    // import rather than the model and does not wait minutes for 1,000 photos to be indexed (indexing after
    // bad input is covered above).
    const [before] = await progressCounts(page);
    await page.evaluate(() => {
      const w = window as unknown as { __timings: { events: { name: string; duration: number; delay: number }[]; longTasks: number[] } };
      w.__timings = { events: [], longTasks: [] };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as PerformanceEventTiming[]) {
          if (['pointerdown', 'pointerup', 'click', 'keydown', 'keyup'].includes(e.name)) {
            w.__timings.events.push({ name: e.name, duration: e.duration, delay: Math.round(e.processingStart - e.startTime) });
          }
        }
      }).observe({ type: 'event', durationThreshold: 16 } as PerformanceObserverInit);
      new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__timings.longTasks.push(Math.round(e.duration)); }).observe({ type: 'longtask' });
    });
    const t0 = Date.now();
    await page.evaluate(async (n) => {
      // One noisy 180 x 180 PNG (~100 KB), made distinct per file by a few bytes after IEND (ignored by decoders).
      const c = new OffscreenCanvas(180, 180);
      const ctx = c.getContext('2d')!;
      const img = ctx.createImageData(180, 180);
      let s = 12345;
      for (let i = 0; i < img.data.length; i++) img.data[i] = i % 4 === 3 ? 255 : (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
      ctx.putImageData(img, 0, 0);
      const png = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
      const dt = new DataTransfer();
      for (let i = 0; i < n; i++) {
        const tag = new TextEncoder().encode(`#${i}`);
        dt.items.add(new File([png, tag], `bulk-${String(i).padStart(4, '0')}.png`, { type: 'image/png' }));
      }
      const zone = document.querySelector('[data-testid="dropzone"]')!;
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, MANY_FILES);
    const busy = page.locator('.import-busy');
    await busy.waitFor({ timeout: 30_000 });
    await page.getByRole('group', { name: 'Indexing controls' }).getByRole('button', { name: 'Pause' }).click({ timeout: 60_000 });
    const roundTrips: number[] = [];
    let peakUsed = 0, peakBuffers = 0, peak = 0;
    const memory = async () => {
      const m = await cdp.send('Runtime.getHeapUsage') as { usedSize: number; backingStorageSize?: number };
      peakUsed = Math.max(peakUsed, m.usedSize);
      peakBuffers = Math.max(peakBuffers, m.backingStorageSize ?? 0);
      peak = Math.max(peak, m.usedSize + (m.backingStorageSize ?? 0));
    };
    while (await busy.isVisible()) {
      await memory();
      const t = Date.now();
      await page.getByRole('button', { name: 'Model card' }).first().click();
      await page.locator('dialog[open]').waitFor();
      roundTrips.push(Date.now() - t);
      await page.keyboard.press('Escape');
      await page.locator('dialog[open]').waitFor({ state: 'detached' });
      await memory();
      await page.waitForTimeout(300);
    }
    const report = page.getByTestId('import-report');
    await report.waitFor();
    const { events, longTasks } = await page.evaluate(() => (window as unknown as { __timings: { events: { name: string; duration: number; delay: number }[]; longTasks: number[] } }).__timings);
    const slowest = [...events].sort((x, y) => y.duration - x.duration)[0];
    console.log(`1,000 files: read in ${Date.now() - t0} ms with ${roundTrips.length} clicks; slowest input ${JSON.stringify(slowest ?? null)} ms; ` +
      `longest task ${Math.max(0, ...longTasks)} ms (${longTasks.length} over 50 ms); Playwright click-to-dialog ${roundTrips.join(', ')} ms; ` +
      `peak JS heap ${(peakUsed / 2 ** 20).toFixed(1)} MiB + buffers ${(peakBuffers / 2 ** 20).toFixed(1)} MiB`);
    expect(await report.locator('p').first().textContent()).toBe(`${MANY_FILES} photos added.`);
    expect(roundTrips.length).toBeGreaterThanOrEqual(3); // the clicks really happened during the import
    expect(slowest?.duration ?? 0).toBeLessThan(MAX_INPUT_DELAY_MS);
    expect(Math.max(0, ...longTasks)).toBeLessThan(MAX_LONG_TASK_MS);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(MAX_JS_HEAP_BYTES);
    // Every file is in the library: indexed (the few before the pause took effect) or waiting in the queue.
    await page.locator('[data-testid="queue-progress"][data-mode="paused"]').waitFor({ timeout: 60_000 });
    const [indexed, total] = await progressCounts(page);
    expect(total).toBe(before + MANY_FILES);
    expect(Number(await page.getByTestId('queue-progress').getAttribute('data-queued'))).toBe(total - indexed);
    await page.screenshot({ path: join(shots, 'bad-input-03-thousand.png') });
    expect(errors).toEqual([]);
  }, 600_000);
});
