// The app as a new user meets it: the production build at its root URL loads the shipped default model
// (public/models/default, trained by python/fwd2bot on the synthetic world), "Try sample photos" indexes the
// bundled scenes, a text search finds the scene PyTorch ranks first, and a question about a photo gets the
// true answer, streamed from the stored summary tokens.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs } from '../../vitest.browser.config';
import type { Golden } from '../unit/engine/golden';

const baseUrl = inject('baseUrl');
const root = resolve(import.meta.dirname, '../..');
const pkg = join(root, 'public/models/default');
const golden = JSON.parse(readFileSync(join(pkg, 'golden.json'), 'utf8')) as Golden;
const manifest = JSON.parse(readFileSync(join(pkg, 'manifest.json'), 'utf8')) as { name: string; modelId: string };
const shots = join(root, 'artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ORT_WARNING = /\[W:onnxruntime:/;
const sampleName = (i: number) => golden.images[i].file.split('/').at(-1)!;

describe('the default model, from the root URL', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('console', (m) => { if (m.type() === 'error' && !ORT_WARNING.test(m.text())) errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`http ${r.status()}: ${r.url()}`); });
  });
  afterAll(async () => { await browser?.close(); });

  test('loads the shipped model without being told where it is', async () => {
    await page.goto(baseUrl);
    await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 300_000 });
    const status = await page.getByTestId('model-status').textContent();
    expect(status).toContain(`${manifest.name} is ready (${manifest.modelId}, K = 16, runs on `);
    expect(errors).toEqual([]);
  });

  test('"Try sample photos" indexes every bundled scene', async () => {
    const n = golden.images.length;
    await page.getByRole('button', { name: `Try sample photos (${n})` }).click();
    await page.getByText(`${n} of ${n} indexed`).waitFor({ timeout: 600_000 });
    expect(await page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]').count()).toBe(n);
    await page.screenshot({ path: join(shots, 'default-indexed.png'), fullPage: true });
  });

  test('a text search ranks the samples as PyTorch does', async () => {
    const q = golden.queries[0];
    await page.getByLabel('Describe a photo').fill(q.query);
    const results = page.locator('[data-testid="search-results"][data-status="done"] .hits li');
    await results.first().waitFor({ timeout: 120_000 });
    const names = await results.locator('.hit-name').allTextContents();
    expect(names[0]).toBe(sampleName(q.ranking[0]));
    expect(names).toEqual(q.ranking.map(sampleName));
    expect(await page.getByTestId('search-ranking').textContent()).toMatch(/^Ranked by (JS scan|GPU similarity kernel)/);
  });

  test('a question about a photo gets the true answer, from the stored tokens', async () => {
    // the first sample question PyTorch answers right (the package's golden data says which)
    const i = golden.images.findIndex((g) => g.truth?.some((t) => t.pytorch === t.answer));
    expect(i).toBeGreaterThanOrEqual(0);
    const t = golden.images[i].truth!.find((x) => x.pytorch === x.answer)!;
    await page.getByLabel('Describe a photo').fill('');
    await page.locator(`[data-testid="virtual-grid"] .cell:has(.cell-name:text-is("${sampleName(i)}"))`).first().click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    await dialog.getByLabel('Your question').fill(t.question);
    await dialog.getByRole('button', { name: 'Ask', exact: true }).click();
    const last = dialog.locator('.turns li[data-role="assistant"]').last();
    await last.waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => !document.querySelector('dialog[open] [data-testid="streaming-answer"]'), undefined, { timeout: 120_000 });
    expect((await last.textContent())!.replace(/^Answer: ?/, '').trim()).toBe(t.answer);
    await page.screenshot({ path: join(shots, 'default-answer.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
