// Privacy and hardening of the production build (vite preview, headers from vite.config.ts and
// src/pwa/csp.ts): the strict Content-Security-Policy is sent as a header and as a <meta>; a whole session
// (load the app and the model, index the samples and a file named with markup, ask a question, search) runs
// under it with zero CSP violations, renders the markup file name as text, and sends no request outside the
// app's origin: checked on the wire by a recording proxy that every request of the browser context passes
// (page, engine worker, onnxruntime-web threads, service worker; test/e2e/recordingProxy.ts) and by
// Playwright's per-context request events.
// The recorders are shown to work: an injected inline handler and a cross-origin fetch are blocked and
// reported, and a navigation to another origin shows up in the proxy's log.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { encodePng } from '../../cli/png';
import { metaCsp, productionCsp } from '../../src/pwa/csp';
import { chromiumArgs } from '../../vitest.browser.config';
import { BROWSER_SERVICES_OFF, startRecordingProxy, type RecordingProxy } from './recordingProxy';

const baseUrl = inject('baseUrl');
const modelUrl = inject('fixtureModelUrl');
const appUrl = `${baseUrl}?model=${modelUrl}`;
const origin = new URL(baseUrl).origin;
const root = resolve(import.meta.dirname, '../..');
const shots = join(root, 'artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SLOW = 900_000;
const ORT_WARNING = /\[W:onnxruntime:/;
// Chromium logs every CSP violation on the console of the context it happened in.
const CSP_CONSOLE = /Content Security Policy|Refused to (load|execute|connect|compile|create|apply|frame)/i;

const golden = JSON.parse(readFileSync(join(root, 'test/fixtures/tiny-package/golden.json'), 'utf8')) as { images: { file: string }[] };
const MARKUP_NAME = '<img src=x onerror=alert(1)>.png';

/** Everything a session reports: CSP violations (events in documents, console lines in every context), errors, dialogs. */
interface Watch { violations: string[]; errors: string[]; dialogs: string[]; requests: { url: string; from: string }[] }

async function watchContext(context: BrowserContext): Promise<Watch> {
  const w: Watch = { violations: [], errors: [], dialogs: [], requests: [] };
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.warn(`[csp-violation] ${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const onConsole = (where: string) => (m: { type(): string; text(): string }) => {
    const text = m.text();
    if (text.startsWith('[csp-violation]') || CSP_CONSOLE.test(text)) w.violations.push(`${where}: ${text}`);
    else if (m.type() === 'error' && !ORT_WARNING.test(text)) w.errors.push(`${where}: ${text}`);
  };
  const watchWorker = (kind: string) => (worker: Worker) => worker.on('console', onConsole(`${kind} ${worker.url()}`));
  context.on('serviceworker', watchWorker('service worker'));
  for (const sw of context.serviceWorkers()) watchWorker('service worker')(sw);
  context.on('page', (page) => {
    page.on('console', onConsole('page'));
    page.on('worker', watchWorker('worker'));
    page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => { w.dialogs.push(`${d.type()}: ${d.message()}`); void d.dismiss(); });
  });
  context.on('request', (r) => {
    const from = r.serviceWorker() ? 'service worker' : r.isNavigationRequest() ? 'navigation' : 'page or worker';
    w.requests.push({ url: r.url(), from });
  });
  return w;
}

/** Where a URL goes: its origin for http(s), the scheme for local ones (blob:, data:), which never leave the browser. */
function destination(url: string): string {
  const u = new URL(url);
  return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:' ? u.origin : u.protocol;
}

test('the production server sends the strict CSP (and COOP/COEP) on every response; index.html carries it as a <meta>', async () => {
  expect(productionCsp).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*|https?:|data:/);
  expect(productionCsp).toMatch(/(^|; )script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  expect(productionCsp).toMatch(/(^|; )connect-src 'self'(;|$)/);
  expect(productionCsp).toMatch(/(^|; )object-src 'none'(;|$)/);
  const page = await fetch(baseUrl);
  const html = await page.text();
  const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
  expect(scripts.length).toBeGreaterThan(0);
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  for (const path of ['', 'sw.js', 'manifest.webmanifest', scripts[0].replace(/^\//, '')]) {
    const res = path ? await fetch(new URL(path, baseUrl)) : page;
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-security-policy'), path).toBe(productionCsp);
    expect(res.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy'), path).toBe('require-corp');
  }
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  expect(meta?.[1].replace(/&#39;/g, "'")).toBe(metaCsp);
  // It comes before every script and stylesheet it governs.
  expect(html.indexOf('http-equiv="Content-Security-Policy"')).toBeLessThan(html.search(/<script|<link rel="stylesheet"/));
  expect(productionCsp).toBe(`${metaCsp}; frame-ancestors 'none'`);
});

describe('a whole session under the policy', () => {
  let proxy: RecordingProxy;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let w: Watch;

  beforeAll(async () => {
    proxy = await startRecordingProxy(baseUrl);
    browser = await chromium.launch({ executablePath, args: [...chromiumArgs, ...BROWSER_SERVICES_OFF], headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, proxy: proxy.contextProxy });
    w = await watchContext(context);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
  });

  test('the app and the model load under the policy with zero CSP violations', async () => {
    await page.goto(appUrl);
    await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: SLOW });
    await page.locator('[data-testid="backend-status"][data-state="ready"]').waitFor({ timeout: SLOW });
    await page.locator('html[data-offline="ready"]').waitFor({ timeout: SLOW }); // the service worker ran too
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(w.violations).toEqual([]);
    expect(w.errors).toEqual([]);
  }, SLOW * 2);

  test('a file named <img src=x onerror=alert(1)>.png is shown as text: no element is injected, nothing runs', async () => {
    await page.getByRole('button', { name: 'Try sample photos (4)' }).click();
    await page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]').nth(3).waitFor({ timeout: SLOW });
    // A photo of its own (a copy of a sample would be skipped as a duplicate): a red square on green.
    const size = 64;
    const data = new Uint8Array(size * size * 3).map((_, i) => {
      const p = Math.floor(i / 3);
      const inside = p % size >= 16 && p % size < 48 && p / size >= 16 && p / size < 48;
      return [inside ? 220 : 30, inside ? 30 : 160, 40][i % 3];
    });
    const png = Buffer.from(encodePng({ width: size, height: size, data }));
    await page.getByTestId('pick-files-input').setInputFiles({ name: MARKUP_NAME, mimeType: 'image/png', buffer: png });
    const cell = page.locator('[data-testid="virtual-grid"] .cell', { hasText: MARKUP_NAME });
    await cell.and(page.locator('[data-status="indexed"]')).waitFor({ timeout: SLOW });
    expect(await cell.locator('.cell-name').textContent()).toBe(MARKUP_NAME);
    await cell.locator('.cell-open').click();
    const dialog = page.locator('dialog[open]');
    expect(await dialog.locator('.dialog-title').textContent()).toBe(MARKUP_NAME);
    expect(await page.locator('img[src="x"], img[onerror], [onerror]').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'security-markup-name.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(w.dialogs).toEqual([]);
    expect(w.violations).toEqual([]);
    expect(w.errors).toEqual([]);
  }, SLOW);

  test('a question gets an answer and a search ranks the photos, with zero CSP violations', async () => {
    const name = golden.images[0].file.split('/').at(-1)!;
    await page.locator('[data-testid="virtual-grid"] .cell-open', { hasText: name }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Longest answer').selectOption('12');
    await dialog.getByRole('button', { name: 'what color is the object at the top left ?' }).click();
    await dialog.locator('.turns li[data-role="assistant"]').first().waitFor({ timeout: SLOW });
    await dialog.getByTestId('streaming-answer').waitFor({ state: 'detached', timeout: SLOW });
    expect(((await dialog.locator('.turns li[data-role="assistant"]').first().textContent()) ?? '').replace(/^Answer: ?/, '').trim()).not.toBe('');
    await page.keyboard.press('Escape');
    await page.getByLabel('Describe a photo').fill('a red circle');
    const hits = page.locator('[data-testid="search-results"][data-status="done"] .hits li');
    await hits.first().waitFor({ timeout: SLOW });
    expect(await hits.count()).toBe(5);
    expect(await hits.locator('.hit-name').allTextContents()).toContain(MARKUP_NAME);
    expect(w.dialogs).toEqual([]);
    expect(w.violations).toEqual([]);
    expect(w.errors).toEqual([]);
  }, SLOW);

  test('no request of the whole session left the app origin (page, workers, service worker)', async () => {
    // On the wire: every request the browser sent to the network.
    expect(proxy.requests.length).toBeGreaterThan(10);
    expect([...new Set(proxy.requests.map((r) => destination(r.url)))]).toEqual([origin]);
    // As the browser attributes them (includes requests answered by the service worker or from memory).
    expect(w.requests.some((r) => r.from === 'service worker')).toBe(true);
    const elsewhere = w.requests.filter((r) => !['blob:', 'data:', origin].includes(destination(r.url)));
    expect(elsewhere).toEqual([]);
  });

  test('the recorders work: an injected inline handler and a cross-origin fetch are blocked and reported, another origin shows on the wire', async () => {
    const other = baseUrl.replace('127.0.0.1', 'localhost');
    const blocked = await page.evaluate(async (url) => {
      const div = document.createElement('div');
      div.innerHTML = '<img src="/icons/icon.svg" onload="window.__ran = true">';
      document.body.append(div);
      await new Promise((r) => setTimeout(r, 500));
      const fetched = await fetch(url).then(() => 'fetched', (e: Error) => `blocked: ${e.message}`);
      div.remove();
      return { ran: (window as { __ran?: boolean }).__ran ?? false, fetched };
    }, other);
    expect(blocked.ran).toBe(false);
    expect(blocked.fetched).toMatch(/^blocked/);
    await expect.poll(() => w.violations.join('\n')).toMatch(/script-src-attr|script-src/);
    await expect.poll(() => w.violations.join('\n')).toMatch(/connect-src/);
    // A top-level navigation (not governed by connect-src) to another origin does reach the network.
    const second = await context.newPage();
    await second.goto(other).catch(() => { /* the proxy refuses it */ });
    expect(proxy.requests.map((r) => destination(r.url))).toContain(new URL(other).origin);
    await second.close();
  });
});
