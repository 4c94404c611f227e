// Helpers of the GPU-loss and tab-lifecycle e2e tests: photos made in the page and dropped on the app, the
// library read straight from IndexedDB (what survives a closed tab), and the engine worker's fault hook.
import type { Page, Worker } from 'playwright-core';

// onnxruntime-web prints its own warnings (level W) through console.error when a session is created.
export const ORT_WARNING = /\[W:onnxruntime:/;

/** Records console errors, uncaught page errors and failed requests. */
export function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' && !ORT_WARNING.test(m.text())) errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`http ${r.status()}: ${r.url()}`); });
  return errors;
}

export async function modelReady(page: Page): Promise<void> {
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 180_000 });
}

/** Draws `n` distinct PNG photos in the page and drops them on the app's drop zone. */
export async function dropPhotos(page: Page, n: number, prefix = 'photo'): Promise<string[]> {
  return page.evaluate(async ({ n, prefix }) => {
    const dt = new DataTransfer();
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = new OffscreenCanvas(96, 96);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = `hsl(${(i * 47) % 360} 70% 55%)`;
      ctx.fillRect(0, 0, 96, 96);
      ctx.fillStyle = `hsl(${(i * 91 + 180) % 360} 80% 30%)`;
      ctx.fillRect(8 + (i % 5) * 12, 8 + Math.floor(i / 5) * 12, 30, 30);
      const name = `${prefix}-${String(i).padStart(2, '0')}.png`;
      names.push(name);
      dt.items.add(new File([await c.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' }));
    }
    const zone = document.querySelector('[data-testid="dropzone"]')!;
    for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    return names;
  }, { n, prefix });
}

export interface StoredLibrary {
  photos: { id: string; name: string; status: string; failReason?: string; indexedAt?: number; modelId?: string }[];
  /** One row per tokens record: [photoId, modelId, byte length]. */
  tokens: [string, string, number][];
  jobs: { photoId: string; state: string; attempts: number }[];
  chats: { id: string; photoId: string; turns: { role: string; text: string; at: number; interrupted?: boolean }[] }[];
}

/** The library as IndexedDB holds it now (read in the page, outside the app). */
export function readLibrary(page: Page): Promise<StoredLibrary> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('fwd2bot-library');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = <T>(store: string) => new Promise<T[]>((resolve, reject) => {
      const r = db.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => resolve(r.result as T[]);
      r.onerror = () => reject(r.error);
    });
    try {
      const photos = await all<StoredLibrary['photos'][number]>('photos');
      const tokens = (await all<{ photoId: string; modelId: string; bytes: ArrayBuffer }>('tokens')).map((t) => [t.photoId, t.modelId, t.bytes.byteLength] as [string, string, number]);
      const jobs = await all<StoredLibrary['jobs'][number]>('jobs');
      const chats = await all<StoredLibrary['chats'][number]>('chats');
      return {
        photos: photos.map(({ id, name, status, failReason, indexedAt, modelId }) => ({ id, name, status, failReason, indexedAt, modelId })),
        tokens, jobs, chats,
      };
    } finally {
      db.close();
    }
  });
}

/** The engine's module worker (the one that runs onnxruntime-web). */
export async function engineWorker(page: Page): Promise<Worker> {
  for (let i = 0; i < 200; i++) {
    for (const w of page.workers()) {
      if (await w.evaluate(() => typeof (globalThis as { __fwd2botFaults?: unknown }).__fwd2botFaults === 'object').catch(() => false)) return w;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`no engine worker among ${page.workers().map((w) => w.url()).join(', ') || 'no workers'}`);
}

/** Indexed cells in the gallery. */
export const indexedCells = (page: Page) => page.locator('[data-testid="virtual-grid"] .cell[data-status="indexed"]');
