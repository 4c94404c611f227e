// Offline after the first visit (production build, service worker from src/pwa/serviceWorker.ts): one online
// visit saves the app shell and the model package; with the network off (context.setOffline) a reload shows
// the app, loads the model from the cache, and answers a question about an indexed photo exactly as online.
// A damaged cached model file is found by its sha256, evicted and downloaded again (online), or reported
// with the file's name and "connect" (offline). A model folder picked from disk loads offline. A new
// service worker version deletes the shell caches of older ones.
//
// The browser sends everything through a recording proxy (test/e2e/recordingProxy.ts), so "nothing reached
// the network while offline" is checked on the wire, not only by the browser's own emulation.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs } from '../../vitest.browser.config';
import { BROWSER_SERVICES_OFF, startRecordingProxy, type RecordingProxy } from './recordingProxy';
import { watch } from './lifecycleHelpers';

const baseUrl = inject('baseUrl');
const modelUrl = inject('fixtureModelUrl');
const appUrl = `${baseUrl}?model=${modelUrl}`;
const root = resolve(import.meta.dirname, '../..');
const fixtureDir = join(root, 'test/fixtures/tiny-package');
const shots = join(root, 'artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// This machine shares two cores with training: model loads and indexing can take minutes.
const SLOW = 900_000;

interface GoldenAnswer { k: number; question: string; text: string }
interface Golden { images: { file: string; answers: GoldenAnswer[] }[] }
const golden = JSON.parse(readFileSync(join(fixtureDir, 'golden.json'), 'utf8')) as Golden;
const manifest = JSON.parse(readFileSync(join(fixtureDir, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
const QUESTION = 'what color is the object at the top left ?';
const MODELS_CACHE = 'fwd2bot-models-v1';
const modelFileUrl = (path: string) => new URL(path, new URL(modelUrl, baseUrl)).href;

const modelState = (page: Page, state: 'ready' | 'failed') =>
  page.locator(`[data-testid="model-status"][data-state="${state}"]`).waitFor({ timeout: SLOW });

/** Cache Storage as the page sees it: cache name -> pathnames. */
function cacheContents(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const out: Record<string, string[]> = {};
    for (const name of await caches.keys()) out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname).sort();
    return out;
  });
}

/** Replaces the cached copy of `url` with same-length bytes, one flipped (a file damaged on disk). */
function damageCachedFile(page: Page, url: string): Promise<void> {
  return page.evaluate(async ({ url, name }) => {
    const cache = await caches.open(name);
    const res = await cache.match(url);
    if (!res) throw new Error(`${url} is not in ${name}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    bytes[bytes.length >> 1] ^= 0xff;
    await cache.put(url, new Response(bytes, { headers: res.headers }));
  }, { url, name: MODELS_CACHE });
}

function cachedSha256(page: Page, url: string): Promise<string | null> {
  return page.evaluate(async ({ url, name }) => {
    const res = await (await caches.open(name)).match(url);
    if (!res) return null;
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()));
    return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, { url, name: MODELS_CACHE });
}

/** Opens the photo named `name` and asks the golden question; resolves with the final answer. */
async function ask(page: Page, name: string): Promise<string> {
  await page.locator('[data-testid="virtual-grid"] .cell-open', { hasText: name }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  expect(await dialog.locator('.dialog-title').textContent()).toBe(name);
  await dialog.getByLabel('Longest answer').selectOption('12'); // the golden answers have at most 12 new tokens
  // A photo asked about before reopens its last chat: start a new one (the button is disabled when there is none).
  const newChat = dialog.getByRole('button', { name: 'New chat' });
  if (await newChat.isEnabled()) await newChat.click();
  await dialog.getByRole('button', { name: QUESTION }).click();
  const answer = dialog.locator('.turns li[data-role="assistant"]').last();
  await answer.waitFor({ timeout: SLOW });
  await dialog.getByTestId('streaming-answer').waitFor({ state: 'detached', timeout: SLOW });
  const text = ((await answer.textContent()) ?? '').replace(/^Answer: ?/, '').trim();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  return text;
}

describe('offline after the first visit', () => {
  let proxy: RecordingProxy;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const sample = golden.images[0].file.split('/').at(-1)!;
  const goldAnswer = golden.images[0].answers.find((a) => a.k === 4 && a.question === QUESTION)!.text;
  let onlineAnswer = '';

  /** The network on or off, in the browser's emulation (pages, workers) and on the wire (the proxy refuses all). */
  const network = async (on: boolean) => {
    await context.setOffline(!on);
    proxy.offline = !on;
  };
  /**
   * What reached the wire since `from`, except the service worker update check (GET /sw.js) that the browser
   * itself makes after a navigation: it is not the app's, setOffline does not stop it, and with the network
   * off the proxy refuses it as a pulled cable would (the installed worker stays in charge).
   */
  const wireSince = (from: number) => proxy.requests.slice(from).filter((r) => !(r.method === 'GET' && new URL(r.url).pathname === '/sw.js'));

  beforeAll(async () => {
    proxy = await startRecordingProxy(baseUrl);
    browser = await chromium.launch({ executablePath, args: [...chromiumArgs, ...BROWSER_SERVICES_OFF], headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, proxy: proxy.contextProxy });
    page = await context.newPage();
    errors = watch(page);
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
  });

  test('first visit online: the service worker saves the app shell and every file of the model package', async () => {
    await page.goto(appUrl);
    await modelState(page, 'ready');
    await page.locator('html[data-offline="ready"]').waitFor({ timeout: SLOW });
    expect(await page.evaluate(() => document.documentElement.dataset.offlineModel)).toBe(modelFileUrl(''));
    const saved = await cacheContents(page);
    const shell = Object.keys(saved).filter((n) => n.startsWith('fwd2bot-shell-'));
    expect(shell).toHaveLength(1);
    expect(shell[0]).toMatch(/^fwd2bot-shell-[0-9a-f]{16}$/);
    const shellFiles = saved[shell[0]];
    expect(shellFiles).toEqual(expect.arrayContaining(['/index.html', '/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png']));
    expect(shellFiles.some((p) => /^\/assets\/worker-[\w-]+\.js$/.test(p))).toBe(true);
    expect(shellFiles.some((p) => /^\/assets\/ort-wasm[\w.-]*\.wasm$/.test(p))).toBe(true);
    // Every listed package file, plus the manifest.
    const want = [...manifest.files.map((f) => new URL(modelFileUrl(f.path)).pathname), new URL(modelFileUrl('manifest.json')).pathname].sort();
    expect(saved[MODELS_CACHE]).toEqual(want);
    // Index the samples while online (the offline visit asks about them).
    await page.getByRole('button', { name: 'Try sample photos (4)' }).click();
    await page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]').nth(3).waitFor({ timeout: SLOW });
    onlineAnswer = await ask(page, sample);
    expect(onlineAnswer).toBe(goldAnswer);
    expect(errors).toEqual([]);
  }, SLOW * 2);

  test('network off: a reload shows the app, loads the model from the cache and answers a question about an indexed photo', async () => {
    await network(false);
    const sentBefore = proxy.requests.length;
    const failed: string[] = [];
    const onFailed = (r: { url(): string; failure(): { errorText: string } | null }) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`);
    context.on('requestfailed', onFailed);
    await page.reload();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Fwd2Bot photo memory');
    await modelState(page, 'ready');
    expect(await page.evaluate(() => ({ online: navigator.onLine, controlled: !!navigator.serviceWorker.controller, isolated: crossOriginIsolated })))
      .toEqual({ online: false, controlled: true, isolated: true });
    await page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]').nth(3).waitFor();
    const answer = await ask(page, sample);
    expect(answer).toBe(onlineAnswer);
    // A text search works offline too (the engine embeds the query; tokens are in IndexedDB).
    await page.getByLabel('Describe a photo').fill('a red circle');
    await page.locator('[data-testid="search-results"][data-status="done"] .hits li').first().waitFor({ timeout: SLOW });
    await page.screenshot({ path: join(shots, 'offline-answer.png'), fullPage: true });
    // Nothing went to the network: the service worker served every file from its caches. (Its network-first
    // navigation tried the network once and fell back to the cached index.html.)
    expect(wireSince(sentBefore)).toEqual([]);
    expect(failed.filter((f) => !f.startsWith(baseUrl) || !/ERR_INTERNET_DISCONNECTED/.test(f))).toEqual([]);
    context.off('requestfailed', onFailed);
    expect(errors).toEqual([]);
  }, SLOW * 2);

  test('offline, a cached model file with a wrong sha256 is evicted and the model status names it and says to connect', async () => {
    const url = modelFileUrl('decoder.onnx');
    await damageCachedFile(page, url);
    await page.reload();
    await modelState(page, 'failed');
    const text = (await page.getByTestId('model-status').textContent()) ?? '';
    expect(text).toContain('decoder.onnx');
    expect(text).toMatch(/damaged/);
    expect(text).toMatch(/connect to the network to download it again/);
    expect(await cachedSha256(page, url)).toBeNull(); // evicted
    await page.screenshot({ path: join(shots, 'offline-damaged-model.png'), fullPage: true });
    errors.length = 0; // the failed load logs the 503 it got from the service worker
  }, SLOW);

  test('back online, the evicted file is downloaded again, checked and saved; the model loads', async () => {
    await network(true);
    const url = modelFileUrl('decoder.onnx');
    const sentBefore = proxy.requests.length;
    await page.reload();
    await modelState(page, 'ready');
    expect(proxy.requests.slice(sentBefore).map((r) => r.url)).toContain(url);
    const want = manifest.files.find((f) => f.path === 'decoder.onnx')!.sha256;
    await expect.poll(() => cachedSha256(page, url), { timeout: 30_000 }).toBe(want);
    expect(errors).toEqual([]);
  }, SLOW);

  test('online, a cached model file with a wrong sha256 is detected, evicted and downloaded again before the app sees it', async () => {
    const url = modelFileUrl('vision.onnx');
    await damageCachedFile(page, url);
    const want = manifest.files.find((f) => f.path === 'vision.onnx')!.sha256;
    expect(await cachedSha256(page, url)).not.toBe(want);
    const sentBefore = proxy.requests.length;
    await page.reload();
    await modelState(page, 'ready'); // the app's own sha256 check passed: it got the good copy
    expect(proxy.requests.slice(sentBefore).map((r) => r.url)).toContain(url);
    await expect.poll(() => cachedSha256(page, url), { timeout: 30_000 }).toBe(want);
    expect(errors).toEqual([]);
  }, SLOW);

  test('offline, a model folder picked from disk loads without any request', async () => {
    await network(false);
    const sentBefore = proxy.requests.length;
    const requests: string[] = [];
    const onRequest = (r: { url(): string }) => requests.push(r.url());
    context.on('request', onRequest);
    await page.getByTestId('model-folder-input').setInputFiles(fixtureDir);
    // Creating the sessions takes seconds, so the loading state is seen.
    await page.locator('[data-testid="model-status"][data-state="loading"]', { hasText: 'Loading the model from the folder you picked' })
      .waitFor({ timeout: 30_000 });
    await modelState(page, 'ready');
    context.off('request', onRequest);
    // Reading picked files fetches nothing (blob: URLs of the photos shown are not network requests).
    expect(requests.filter((u) => !/^(blob|data):/.test(u))).toEqual([]);
    expect(wireSince(sentBefore)).toEqual([]);
    await network(true);
    expect(errors).toEqual([]);
  }, SLOW);

  test('a new service worker version deletes the shell caches of older versions', async () => {
    await page.goto(appUrl);
    await modelState(page, 'ready');
    const old = 'fwd2bot-shell-0000000000000000';
    await page.evaluate(async (name) => { await (await caches.open(name)).put('/old-version.js', new Response('old')); }, old);
    expect(Object.keys(await cacheContents(page))).toContain(old);
    // A registration under another script URL installs and activates a worker as a new build would.
    const active = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.register('/sw.js?build=next', { scope: '/' });
      const w = reg.installing ?? reg.waiting ?? reg.active!;
      if (w.state !== 'activated') await new Promise<void>((r) => w.addEventListener('statechange', () => { if (w.state === 'activated') r(); }));
      return w.scriptURL;
    });
    expect(active).toMatch(/\/sw\.js\?build=next$/);
    const names = Object.keys(await cacheContents(page));
    expect(names).not.toContain(old);
    expect(names.filter((n) => n.startsWith('fwd2bot-shell-'))).toHaveLength(1);
    expect(names).toContain(MODELS_CACHE); // model files survive a new app version
    expect(errors).toEqual([]);
  }, SLOW);
});
