// The tab (or the whole browser) closed in the middle of work, with the same persistent profile so IndexedDB
// survives (chromium.launchPersistentContext on one user-data dir, as a user's browser keeps its profile):
//   1. the tab closed mid-indexing: a new tab resumes the queue, every photo indexed once (the ones done before
//      keep their indexedAt, none is indexed twice, none fails);
//   2. the browser closed mid-indexing: on the next start the queue resumes and finishes the same way;
//   3. the browser closed mid-answer: on the next start the chat keeps the question, and the answer as far as it
//      was saved, marked interrupted ("Interrupted: ... Ask again"), never a lost question or a broken record.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { chromiumArgs } from '../../vitest.browser.config';
import { dropPhotos, modelReady, readLibrary, watch, type StoredLibrary } from './lifecycleHelpers';

const appUrl = `${inject('baseUrl')}?model=${inject('fixtureModelUrl')}`;
const shots = resolve(import.meta.dirname, '../../artifacts/e2e');
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const profiles: string[] = [];
const PHOTOS = 6;
/** Each test loads the model twice and indexes a queue on SwiftShader: minutes on a busy 2-core machine. */
const SLOW = 600_000;

function profile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fwd2bot-profile-'));
  profiles.push(dir);
  return dir;
}

/** A browser on `dir` (a persistent profile: what it stores is there when it starts again). */
function launch(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { executablePath, args: chromiumArgs, headless: true, viewport: { width: 1280, height: 900 } });
}

async function openApp(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(appUrl);
  await modelReady(page);
  return { page, errors };
}

/** Waits until `n` photos are in the queue and at least `done` of them are indexed, the runner busy. */
async function midQueue(page: Page, n: number, done: number): Promise<void> {
  await page.waitForFunction(([n, done]) => {
    const q = document.querySelector('[data-testid="queue-progress"]') as HTMLElement | null;
    const m = q?.querySelector('label')?.textContent?.match(/^(\d+) of (\d+) indexed/);
    return q?.dataset.mode === 'running' && !!m && Number(m[1]) >= done && Number(m[2]) === n;
  }, [n, done] as const, { timeout: 180_000, polling: 25 });
}

async function queueDone(page: Page, n: number): Promise<void> {
  await page.locator('[data-testid="queue-progress"][data-mode="idle"][data-queued="0"]').waitFor({ timeout: 240_000 });
  await page.getByText(`${n} of ${n} indexed`).waitFor({ timeout: 60_000 });
}

/** Every photo indexed, once: one tokens record each, no job, no failure; those indexed before keep their time. */
function expectIndexedOnce(lib: StoredLibrary, n: number, before: StoredLibrary): void {
  expect(lib.photos).toHaveLength(n);
  expect(lib.photos.filter((p) => p.status !== 'indexed' || p.failReason)).toEqual([]);
  expect(lib.jobs).toEqual([]);
  expect(lib.tokens).toHaveLength(n);
  expect(new Set(lib.tokens.map((t) => t[0])).size).toBe(n);
  const doneBefore = before.photos.filter((p) => p.status === 'indexed');
  expect(doneBefore.length).toBeGreaterThan(0);
  expect(doneBefore.length).toBeLessThan(n);
  for (const p of doneBefore) expect(lib.photos.find((q) => q.id === p.id)?.indexedAt).toBe(p.indexedAt);
}

afterAll(() => {
  for (const d of profiles) rmSync(d, { recursive: true, force: true });
});

describe('tab and browser closed mid-work (persistent profile)', () => {
  test('the tab closed mid-indexing: a new tab resumes the queue and indexes every photo once', async () => {
    const context = await launch(profile());
    try {
      const first = await openApp(context);
      await dropPhotos(first.page, PHOTOS, 'tab');
      await midQueue(first.page, PHOTOS, 2);
      const before = await readLibrary(first.page);
      await first.page.close(); // the tab goes; its Web Lock with it, so its job can be taken over at once
      const second = await openApp(context);
      await queueDone(second.page, PHOTOS);
      expectIndexedOnce(await readLibrary(second.page), PHOTOS, before);
      await second.page.screenshot({ path: join(shots, 'tab-closed-resumed.png'), fullPage: true });
      expect([...first.errors, ...second.errors]).toEqual([]);
    } finally {
      await context.close();
    }
  }, SLOW);

  test('the browser closed mid-indexing: on the next start the queue resumes and indexes every photo once', async () => {
    const dir = profile();
    let context = await launch(dir);
    let before: StoredLibrary;
    const errors: string[] = [];
    try {
      const { page, errors: e1 } = await openApp(context);
      errors.push(...e1);
      await dropPhotos(page, PHOTOS, 'browser');
      await midQueue(page, PHOTOS, 2);
      before = await readLibrary(page);
    } finally {
      await context.close(); // the whole browser, mid-photo
    }
    context = await launch(dir);
    try {
      const { page, errors: e2 } = await openApp(context);
      await queueDone(page, PHOTOS);
      expectIndexedOnce(await readLibrary(page), PHOTOS, before);
      expect([...errors, ...e2]).toEqual([]);
    } finally {
      await context.close();
    }
  }, SLOW);

  test('the browser closed mid-answer: the question is kept, the answer so far is marked interrupted', async () => {
    const dir = profile();
    let context = await launch(dir);
    let question = '';
    let seen = '';
    try {
      const { page } = await openApp(context);
      await dropPhotos(page, 1, 'chat');
      await queueDone(page, 1);
      await page.locator('[data-testid="virtual-grid"] .cell-open').first().click();
      const dialog = page.locator('dialog[open]');
      await dialog.waitFor();
      await dialog.getByLabel('Longest answer').selectOption('128');
      const chip = dialog.locator('.suggestions button').first();
      question = (await chip.textContent())!.trim();
      await chip.click();
      // Some words have streamed (and a save of them has had time to land), the answer is not done.
      const live = dialog.getByTestId('streaming-answer');
      await page.waitForFunction(() => {
        const t = document.querySelector('dialog[open] [data-testid="streaming-answer"]')?.textContent ?? '';
        return t.replace(/^Answer: ?/, '').replace('▍', '').trim().split(/\s+/).length >= 4;
      }, undefined, { timeout: 120_000, polling: 10 });
      await page.waitForTimeout(400);
      seen = ((await live.textContent()) ?? '').replace(/^Answer: ?/, '').replace('▍', '').trim();
      expect(await live.count()).toBe(1); // still streaming when the browser goes
    } finally {
      await context.close();
    }
    context = await launch(dir);
    try {
      const { page, errors } = await openApp(context);
      const lib = await readLibrary(page);
      expect(lib.chats).toHaveLength(1);
      const turns = lib.chats[0].turns;
      expect(turns.map((t) => [t.role, t.interrupted ?? false])).toEqual([['user', false], ['assistant', true]]);
      expect(turns[0].text).toBe(question);
      // What was saved is the start of what the user saw streaming (saved at most every 250 ms).
      const saved = turns[1].text;
      expect(saved.length).toBeGreaterThan(0);
      expect(seen.startsWith(saved) || saved.startsWith(seen)).toBe(true);
      // The chat shows it so, and the question can be asked again.
      await page.locator('[data-testid="virtual-grid"] .cell-open').first().click();
      const dialog = page.locator('dialog[open]');
      await dialog.waitFor();
      const answer = dialog.locator('.turns li[data-role="assistant"][data-interrupted="true"]');
      await answer.waitFor();
      expect(await dialog.locator('.turns li[data-role="user"]').first().textContent()).toContain(question);
      expect(await answer.getByTestId('interrupted-note').textContent()).toMatch(/Interrupted: this answer did not finish\. Ask again for a whole answer\./);
      await page.screenshot({ path: join(shots, 'answer-interrupted.png'), fullPage: true });
      // Asking again gives a whole answer that starts with the saved part (greedy decoding, same tokens).
      await dialog.getByRole('button', { name: 'New chat' }).click();
      await dialog.getByLabel('Longest answer').selectOption('128');
      await dialog.locator('.suggestions button').first().click();
      await page.waitForFunction(() => document.querySelectorAll('dialog[open] .turns li[data-role="assistant"]').length === 1
        && !document.querySelector('dialog[open] [data-testid="streaming-answer"]'), undefined, { timeout: 180_000 });
      const whole = (await dialog.locator('.turns li[data-role="assistant"]').textContent())!.replace(/^Answer: ?/, '').trim();
      expect(whole.startsWith(saved)).toBe(true);
      expect(whole.length).toBeGreaterThan(saved.length);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, SLOW);
});
