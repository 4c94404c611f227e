// The production build in Debian Chromium: the app shell shows the backend really in use, with no console
// errors; keyboard focus is visible; dark mode applies; without --enable-unsafe-webgpu it falls back to
// wasm and says why. Screenshots go to artifacts/e2e/.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs } from '../../vitest.browser.config';

const baseUrl = inject('baseUrl');
// The app loads a model at start; the tiny test package is served with the build (the default model,
// public/models/default/, exists only once training has been exported).
const appUrl = `${baseUrl}?model=${inject('fixtureModelUrl')}`;
// onnxruntime-web prints its own warnings (level W) through console.error when it creates a session.
const ORT_WARNING = /\[W:onnxruntime:/;
const shots = resolve(import.meta.dirname, '../../artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Opens the app and records console errors and uncaught page errors. */
async function open(browser: Browser, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 900, height: 640 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' && !ORT_WARNING.test(m.text())) errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`http ${r.status()}: ${r.url()}`); });
  await page.goto(appUrl);
  return { page, errors };
}

const status = (page: Page) => page.getByTestId('backend-status');

describe('with WebGPU (--enable-unsafe-webgpu)', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true }); });
  afterAll(async () => { await browser?.close(); });

  test('shows the WebGPU backend with adapter and precision, and logs no errors', async () => {
    const { page, errors } = await open(browser);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Fwd2Bot photo memory');
    await page.locator('[data-testid="backend-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
    const text = (await status(page).textContent()) ?? '';
    expect(await status(page).getAttribute('data-backend')).toBe('webgpu');
    expect(text).toMatch(/^WebGPU — \S+.*, (no shader-f16 → fp32|shader-f16 → fp16)$/);
    // The page is cross-origin isolated (COOP/COEP from vite preview), so ORT could use wasm threads.
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    await page.screenshot({ path: join(shots, 'app-webgpu.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test('keyboard: Tab reaches "Device details" with a visible focus ring and Enter opens it', async () => {
    const { page, errors } = await open(browser);
    await page.locator('[data-testid="backend-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const css = getComputedStyle(el);
      return { tag: el.tagName, text: el.textContent, outline: css.outlineStyle, width: parseFloat(css.outlineWidth) };
    });
    expect(focused).toMatchObject({ tag: 'SUMMARY', text: 'Device details', outline: 'solid' });
    expect(focused.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    await expect(page.locator('details').evaluate((d) => (d as HTMLDetailsElement).open)).resolves.toBe(true);
    await expect(page.getByText('Max storage binding').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(shots, 'app-webgpu-details.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test('dark colour scheme changes the page colours', async () => {
    const light = await open(browser, 'light');
    const dark = await open(browser, 'dark');
    await dark.page.locator('[data-testid="backend-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
    const bg = (p: Page) => p.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [lightBg, darkBg] = [await bg(light.page), await bg(dark.page)];
    expect(lightBg).not.toBe(darkBg);
    // dark background: every channel below 64
    expect(darkBg.match(/\d+/g)!.slice(0, 3).map(Number).every((c) => c < 64)).toBe(true);
    await dark.page.screenshot({ path: join(shots, 'app-dark.png'), fullPage: true });
    expect([...light.errors, ...dark.errors]).toEqual([]);
    await light.page.context().close();
    await dark.page.context().close();
  });
});

describe('without --enable-unsafe-webgpu', () => {
  let browser: Browser;
  const args = chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu');
  beforeAll(async () => { browser = await chromium.launch({ executablePath, args, headless: true }); });
  afterAll(async () => { await browser?.close(); });

  test('falls back to wasm and shows the reason, with no console errors', async () => {
    const { page, errors } = await open(browser);
    await page.locator('[data-testid="backend-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
    expect(await status(page).getAttribute('data-backend')).toBe('wasm');
    const text = (await status(page).textContent()) ?? '';
    expect(text).toMatch(/^wasm — /);
    expect(text).toMatch(/requestAdapter\(\) returned null|navigator\.gpu is missing/);
    expect(text).toContain('--enable-unsafe-webgpu');
    await page.screenshot({ path: join(shots, 'app-wasm.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
