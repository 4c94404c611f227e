// The gallery at 10k photos in Chromium: time to first render, time per scroll step (React commit of the
// rows that came into view), time to re-render after one photo's status changed (the sort + the visible
// cells), and the most cells ever in the DOM. Writes bench/results/ui.json.
// Run: nice -n 10 npx vitest run --config vitest.bench.config.ts bench/ui.bench.browser.ts

import { createElement } from 'react';
import { test } from 'vitest';
import { commands } from 'vitest/browser';
import { libraryActions, libraryStore } from '../src/state/library';
import type { PhotoRecord, PhotoStatus } from '../src/storage/records';
import { GalleryPanel } from '../src/ui/gallery/GalleryPanel';
import { setup } from '../src/ui/testing/harness';
import '../src/ui/app.css';

const PHOTOS = 10_000;
const STATUSES: PhotoStatus[] = ['indexed', 'indexed', 'indexed', 'pending', 'failed'];
const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
const ms = (x: number) => Math.round(x * 100) / 100;

function stats(t: number[]) {
  const s = [...t].sort((a, b) => a - b);
  return { median: ms(s[s.length >> 1]), p95: ms(s[Math.floor(s.length * 0.95)]), max: ms(s[s.length - 1]) };
}

test('gallery with 10k photos', async () => {
  const h = await setup({ model: false, paused: true });
  try {
    const records: PhotoRecord[] = Array.from({ length: PHOTOS }, (_, i) => ({
      id: i.toString(16).padStart(64, '0'), name: `IMG_${i}.jpg`, type: 'image/jpeg', byteSize: 3_000_000, width: 4032, height: 3024,
      addedAt: 1_700_000_000_000 + i * 1000, status: STATUSES[i % STATUSES.length],
    }));
    h.container.style.width = '1200px';
    let t0 = performance.now();
    libraryActions.setAll(records);
    h.render(createElement(GalleryPanel));
    await frame();
    const firstRender = performance.now() - t0;
    const grid = h.container.querySelector<HTMLElement>('[data-testid="virtual-grid"]')!;
    let maxCells = grid.querySelectorAll('.cell').length;

    const scroll: number[] = [];
    for (let i = 0; i < 80; i++) {
      t0 = performance.now();
      grid.scrollTop += 3 * 156;
      grid.dispatchEvent(new Event('scroll'));
      await frame(); // the scroll handler's rAF sets state
      await frame(); // React has committed
      scroll.push(performance.now() - t0);
      maxCells = Math.max(maxCells, grid.querySelectorAll('.cell').length);
    }

    const update: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = libraryStore.getState().photos.get(records[i * 37].id)!;
      t0 = performance.now();
      libraryActions.patch([{ ...p, status: p.status === 'indexed' ? 'failed' : 'indexed' }]);
      await frame();
      update.push(performance.now() - t0);
    }

    const results = {
      photos: PHOTOS, firstRenderMs: ms(firstRender), scrollStepMs: stats(scroll), oneStatusChangeMs: stats(update), maxCellsInDom: maxCells,
      note: 'scroll step = scrollTop change -> two animation frames (includes frame waits, ~16.7 ms each at 60 Hz headless)',
      at: new Date().toISOString(), userAgent: navigator.userAgent,
    };
    console.log(JSON.stringify(results, null, 2));
    await commands.writeFile('bench/results/ui.json', JSON.stringify(results, null, 2) + '\n');
  } finally {
    await h.cleanup();
  }
});
