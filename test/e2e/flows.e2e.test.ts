// The app's main flows against the production build in Debian Chromium, from a fresh profile, with the tiny
// test model package (?model=/test/fixtures/tiny-package/, random weights: its answers are gibberish, but
// deterministic, and golden.json holds PyTorch's greedy answers and search rankings):
//   load the model -> model card -> drop the 4 sample photos + a text file + a truncated JPEG (a real
//   DataTransfer on a drop event) -> the photos index, the bad files are listed with reasons -> reload:
//   everything is still there -> a golden search query ranks its scene in the top 3 -> open it (heatmap), ask a golden
//   question: the streamed answer equals the golden answer (K' = K, then K' = 1 with the slider) -> delete
//   a photo (and it stays deleted after a reload). Screenshots of each step go to artifacts/e2e/flow-*.png.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs } from '../../vitest.browser.config';
import { watch } from './lifecycleHelpers';

const baseUrl = inject('baseUrl');
const modelUrl = inject('fixtureModelUrl');
const appUrl = `${baseUrl}?model=${modelUrl}`;
const root = resolve(import.meta.dirname, '../..');
const shots = join(root, 'artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface GoldenAnswer { k: number; question: string; ids: number[]; text: string }
interface Golden {
  images: { file: string; answers: GoldenAnswer[] }[];
  queries: { query: string; ranking: number[]; scores: number[] }[];
}
const golden = JSON.parse(readFileSync(join(root, 'test/fixtures/tiny-package/golden.json'), 'utf8')) as Golden;
const sampleName = (i: number) => golden.images[i].file.split('/').at(-1)!;

const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `flow-${name}.png`), fullPage: true });

// onnxruntime-web prints its own warnings (level W) through console.error when a session is created
// ("Some nodes were not assigned to the preferred execution providers"); they are not errors of the app.
/** Records console errors, uncaught page errors and failed requests. */
async function modelReady(page: Page): Promise<void> {
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
}

const galleryCells = (page: Page) => page.locator('[data-testid="virtual-grid"] .cell');

describe('flows with the tiny model package', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } }); // a fresh profile
    page = await context.newPage();
    errors = watch(page);
  });
  afterAll(async () => { await browser?.close(); });

  test('1. first run: the model loads (progress, then ready) and the backend is shown', async () => {
    await page.goto(appUrl);
    // The progress bar shows while the package downloads and compiles (it may be quick: catch it if we can).
    const sawLoading = await page.locator('[data-testid="model-status"][data-state="loading"] progress')
      .waitFor({ timeout: 5_000 }).then(() => true, () => false);
    if (sawLoading) await shot(page, '01a-model-loading');
    await modelReady(page);
    await page.locator('[data-testid="backend-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
    const status = await page.getByTestId('model-status').textContent();
    expect(status).toMatch(/^fwd2bot-synthetic-tiny is ready \(f2b-[0-9a-f]{16}, K = 4, runs on (webgpu|wasm)\)\.$/);
    expect(await page.getByTestId('backend-status').textContent()).toMatch(/^(WebGPU|wasm) — /);
    expect(await page.getByRole('button', { name: 'Try sample photos (4)' }).isEnabled()).toBe(true);
    await shot(page, '01-model-ready');
    expect(errors).toEqual([]);
  });

  test('2. the model card is one click away and says what the model can and cannot do', async () => {
    await page.getByRole('button', { name: 'Model card' }).first().click();
    const dialog = page.locator('dialog[open]');
    await dialog.locator('.markdown h3').waitFor();
    expect(await dialog.locator('.markdown h3').first().textContent()).toMatch(/^Tiny random-weight test fixture/);
    expect(await dialog.getByTestId('model-scope').textContent()).toContain('Real photos need a real model package');
    await shot(page, '02-model-card');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('3. drop the samples, a text file and a truncated JPEG: photos index, bad files show reasons', async () => {
    const sampleUrls = golden.images.map((im) => new URL(im.file, new URL(modelUrl, baseUrl)).href);
    await page.evaluate(async (urls) => {
      const dt = new DataTransfer();
      for (const url of urls) {
        const blob = await (await fetch(url)).blob();
        dt.items.add(new File([blob], url.split('/').at(-1)!, { type: 'image/png' }));
      }
      dt.items.add(new File(['shopping list: milk, eggs'], 'notes.txt', { type: 'text/plain' }));
      const c = new OffscreenCanvas(96, 96);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#2a6';
      ctx.fillRect(0, 0, 96, 96);
      ctx.fillStyle = '#c33';
      ctx.beginPath();
      ctx.arc(48, 48, 30, 0, 7);
      ctx.fill();
      const jpeg = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.92 })).arrayBuffer());
      dt.items.add(new File([jpeg.subarray(0, Math.floor(jpeg.length * 0.6))], 'cut-short.jpg', { type: 'image/jpeg' }));
      const zone = document.querySelector('[data-testid="dropzone"]')!;
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    }, sampleUrls);
    const report = page.getByTestId('import-report');
    await report.waitFor();
    expect(await report.locator('p').first().textContent()).toBe('4 photos added.');
    const problems = await report.locator('[data-testid="import-problems"] li').allTextContents();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^notes\.txt: Not a photo \(text\/plain\)\. Add JPEG, PNG/);
    expect(problems[1]).toMatch(/^cut-short\.jpg: The file is cut short \(truncated\)/);
    await shot(page, '03-dropped');
    // Indexing: per-photo status and overall progress until all four are indexed.
    await page.locator('[data-testid="queue-progress"][data-mode="idle"][data-queued="0"]').waitFor({ timeout: 120_000 });
    await page.getByText('4 of 4 indexed').waitFor();
    expect(await galleryCells(page).count()).toBe(4);
    expect(await page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]').count()).toBe(4);
    await shot(page, '04-indexed');
    expect(errors).toEqual([]);
  });

  test('4. reload: the photos, their index and the model are still there', async () => {
    await page.reload();
    await modelReady(page);
    await page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]').nth(3).waitFor();
    expect(await galleryCells(page).count()).toBe(4);
    const names = (await page.locator('[data-testid="virtual-grid"] .cell-name').allTextContents()).sort();
    expect(names).toEqual(golden.images.map((_, i) => sampleName(i)).sort());
    expect(await page.getByTestId('queue-progress').getAttribute('data-mode')).toBe('idle');
    await shot(page, '05-after-reload');
  });

  test('5. a search describing one sample scene ranks it in the top 3, with scores', async () => {
    const q = golden.queries[0];
    const want = sampleName(q.ranking[0]);
    await page.getByLabel('Describe a photo').fill(q.query);
    const results = page.locator('[data-testid="search-results"][data-status="done"] .hits li');
    await results.first().waitFor({ timeout: 60_000 });
    const ranked = await results.evaluateAll((lis) => lis.map((li) => ({
      name: li.querySelector('.hit-name')!.textContent, score: Number((li as HTMLElement).dataset.score),
    })));
    expect(ranked.slice(0, 3).map((r) => r.name)).toContain(want);
    // The whole ranking is PyTorch's, scores within fp16 storage error.
    expect(ranked.map((r) => r.name)).toEqual(q.ranking.map(sampleName));
    ranked.forEach((r, i) => expect(Math.abs(r.score - q.scores[i])).toBeLessThan(5e-3));
    await shot(page, '06-search');
  });

  test('6. open it, ask a question: the streamed answer equals the golden answer (K, then K\' = 1)', async () => {
    const q = golden.queries[0];
    const image = golden.images[q.ranking[0]];
    const question = 'what color is the object at the top left ?';
    const gold = (k: number) => image.answers.find((a) => a.k === k && a.question === question)!;
    await page.locator('.hits li .hit-open').first().click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.locator('.dialog-title').textContent()).toBe(sampleName(q.ranking[0]));
    // The heatmap: pass-1 attention of the summary tokens over the 4x4 patch grid, drawn over the photo.
    await dialog.getByRole('button', { name: 'Show heatmap' }).click();
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('dialog[open] [data-testid="heatmap"]');
      return c !== null && c.width === 4 && c.height === 4;
    }, undefined, { timeout: 60_000 });
    expect(await dialog.getByRole('button', { name: 'Hide heatmap' }).getAttribute('aria-pressed')).toBe('true');
    await shot(page, '06b-heatmap');
    // The golden answers were generated with at most 12 new tokens.
    await dialog.getByLabel('Longest answer').selectOption('12');

    const askAndWatch = async (): Promise<{ partials: string[]; final: string }> => {
      const partials: string[] = [];
      await dialog.getByRole('button', { name: question }).click();
      const live = dialog.getByTestId('streaming-answer');
      for (;;) {
        const t = await live.textContent({ timeout: 500 }).catch(() => null);
        if (t === null) break;
        const clean = t.replace(/^Answer: ?/, '').replace('▍', '').trim();
        if (clean && partials.at(-1) !== clean) partials.push(clean);
      }
      const answers = await dialog.locator('.turns li[data-role="assistant"]').allTextContents();
      return { partials, final: answers.at(-1)!.replace(/^Answer: ?/, '').trim() };
    };

    const full = await askAndWatch();
    expect(full.final).toBe(gold(4).text);
    expect(full.partials.length).toBeGreaterThan(1); // it streamed
    expect(gold(4).text.startsWith(full.partials[0])).toBe(true);
    await shot(page, '07-chat-k4');

    // The K' slider: 1 summary token; the answer changes to the golden K' = 1 answer.
    const slider = dialog.locator('#k-slider');
    await slider.focus();
    await page.keyboard.press('Home');
    expect(await dialog.getByTestId('k-value').textContent()).toBe('1');
    await dialog.getByRole('button', { name: 'New chat' }).click();
    const one = await askAndWatch();
    expect(one.final).toBe(gold(1).text);
    expect(one.final).not.toBe(full.final);
    await shot(page, '08-chat-k1');
    expect(errors).toEqual([]);
  });

  test('7. delete a photo: gone from the gallery, and still gone after a reload', async () => {
    const dialog = page.locator('dialog[open]');
    const name = await dialog.locator('.dialog-title').textContent();
    await dialog.getByRole('button', { name: 'Delete photo' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="virtual-grid"] .cell').length === 3);
    expect(await page.locator('[data-testid="virtual-grid"] .cell-name').allTextContents()).not.toContain(name);
    await shot(page, '09-deleted');
    await page.reload();
    await modelReady(page);
    await page.locator('[data-testid="virtual-grid"] .cell').nth(2).waitFor();
    await page.waitForTimeout(300);
    expect(await galleryCells(page).count()).toBe(3);
    expect(errors).toEqual([]);
  });

  test('8. keyboard and layout: visible focus in the gallery, dark colours, narrow screens', async () => {
    await page.locator('[data-testid="virtual-grid"] .cell-open[tabindex="0"]').focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const css = getComputedStyle(el);
      return { cls: el.className, outline: css.outlineStyle, width: parseFloat(css.outlineWidth), label: el.getAttribute('aria-label') };
    });
    expect(focused).toMatchObject({ cls: 'cell-open', outline: 'solid' });
    expect(focused.width).toBeGreaterThanOrEqual(2);
    expect(focused.label).toMatch(/, indexed$/);
    await shot(page, '10-keyboard-focus');

    const dark = await browser.newContext({ colorScheme: 'dark', viewport: { width: 390, height: 844 } });
    const p = await dark.newPage();
    const darkErrors = watch(p);
    await p.goto(appUrl);
    await modelReady(p);
    const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg.match(/\d+/g)!.slice(0, 3).map(Number).every((c) => c < 64)).toBe(true);
    // "Try sample photos" on a phone, in the dark: nothing gets wider than the screen.
    await p.getByRole('button', { name: 'Try sample photos (4)' }).click();
    await p.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]').nth(3).waitFor({ timeout: 120_000 });
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(p, '11-dark-narrow');
    await p.locator('[data-testid="virtual-grid"] .cell-open').first().click();
    await p.locator('dialog[open]').waitFor();
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await p.screenshot({ path: join(shots, 'flow-12-dark-narrow-photo.png') });
    expect(darkErrors).toEqual([]);
    await dark.close();
  });
});
