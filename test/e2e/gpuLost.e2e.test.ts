// The GPU device is lost while photos index (the production build in Debian Chromium, WebGPU on SwiftShader):
// the engine worker's fault hook destroys ORT's device mid-queue, as a driver reset would lose it. The user
// sees the queue finish with every photo indexed, the backend line say that the device was lost and the
// engine restarted on a new one, and the model still on WebGPU; IndexedDB holds every photo whole (all its
// tokens, no job left), and a question asked afterwards is answered.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs } from '../../vitest.browser.config';
import { dropPhotos, engineWorker, modelReady, readLibrary, watch } from './lifecycleHelpers';

const appUrl = `${inject('baseUrl')}?model=${inject('fixtureModelUrl')}`;
const shots = resolve(import.meta.dirname, '../../artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PHOTOS = 12;
/** Bytes of one stored tokens record of the tiny model: the "F2BT" header + (K=4, d=32) fp16. */
const tokenBytes = (bytes: number) => bytes >= 2 * 4 * 32;

describe('GPU device lost', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    errors = watch(page);
  });
  afterAll(async () => { await browser?.close(); });

  test('while photos index: the queue finishes, every photo whole, and the backend says the device was lost', async () => {
    await page.goto(appUrl);
    await modelReady(page);
    await page.locator('[data-testid="backend-status"][data-state="ready"][data-backend="webgpu"]').waitFor({ timeout: 120_000 });
    const before = await page.getByTestId('backend-status').textContent();
    expect(before).not.toMatch(/lost/);
    await dropPhotos(page, PHOTOS);
    // Mid-queue: some photos indexed, the runner busy with the next one.
    await page.waitForFunction((n) => {
      const q = document.querySelector('[data-testid="queue-progress"]') as HTMLElement | null;
      const m = q?.querySelector('label')?.textContent?.match(/^(\d+) of (\d+) indexed/);
      return q?.dataset.mode === 'running' && m !== null && m !== undefined && Number(m[1]) >= 2 && Number(m[2]) === n;
    }, PHOTOS, { timeout: 180_000, polling: 50 });
    const lostAt = Number((await page.locator('[data-testid="queue-progress"] label').textContent())!.match(/^(\d+)/)![1]);
    const worker = await engineWorker(page);
    await worker.evaluate(() => (globalThis as unknown as { __fwd2botFaults: { loseGpuDevice(): Promise<string> } }).__fwd2botFaults.loseGpuDevice());
    expect(lostAt).toBeLessThan(PHOTOS);

    // The backend line says what happened, while the queue goes on.
    const status = page.getByTestId('backend-status');
    await page.locator('[data-testid="backend-status"][data-backend="webgpu"]', { hasText: 'The GPU device was lost' }).waitFor({ timeout: 120_000 });
    expect(await status.textContent()).toMatch(/^WebGPU — .*\. The GPU device was lost \(destroyed\); the engine restarted on a new device\.$/);
    await page.locator(`[data-testid="queue-progress"][data-mode="idle"][data-queued="0"]`).waitFor({ timeout: 240_000 });
    await page.getByText(`${PHOTOS} of ${PHOTOS} indexed`).waitFor();
    expect(await page.getByTestId('model-status').textContent()).toMatch(/runs on webgpu\)\.$/);
    await page.screenshot({ path: join(shots, 'gpu-lost-indexed.png'), fullPage: true });

    // IndexedDB: every photo indexed once with all its tokens; no job, no failure, nothing half-written.
    const lib = await readLibrary(page);
    expect(lib.photos).toHaveLength(PHOTOS);
    expect(lib.photos.filter((p) => p.status !== 'indexed')).toEqual([]);
    expect(lib.jobs).toEqual([]);
    expect(lib.tokens).toHaveLength(PHOTOS);
    expect(new Set(lib.tokens.map((t) => t[0])).size).toBe(PHOTOS);
    for (const [, , bytes] of lib.tokens) expect(tokenBytes(bytes)).toBe(true);
    expect(new Set(lib.tokens.map((t) => t[1]))).toEqual(new Set(lib.photos.map((p) => p.modelId)));

    // The engine answers after the loss (its sessions and KV caches were made again on the new device).
    await page.locator('[data-testid="virtual-grid"] .cell-open').first().click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    await dialog.getByLabel('Longest answer').selectOption('12');
    await dialog.locator('.suggestions button').first().click();
    await dialog.locator('.turns li[data-role="assistant"]').first().waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => !document.querySelector('dialog[open] [data-testid="streaming-answer"]'), undefined, { timeout: 120_000 });
    const answer = (await dialog.locator('.turns li[data-role="assistant"]').last().textContent())!.replace(/^Answer: ?/, '').trim();
    expect(answer.length).toBeGreaterThan(0);
    expect(await dialog.locator('.status-failed').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'gpu-lost-answer.png'), fullPage: true });
    // The loss itself is not an error of the page (the engine handled it): no page errors, no failed requests.
    expect(errors.filter((e) => !/^console: /.test(e))).toEqual([]);
  }, 600_000); // a model load, a dozen photos and a rebuild on SwiftShader: minutes on a busy 2-core machine
});
