// The gallery over 10 000 photo records: bounded DOM, sort by date, filter by status with counts.
import { afterEach, expect, test } from 'vitest';
import { libraryActions } from '../../state/library';
import type { PhotoRecord, PhotoStatus } from '../../storage/records';
import { $, setup, waitFor, type Harness } from '../testing/harness';
import { GalleryPanel } from './GalleryPanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

const STATUSES: PhotoStatus[] = ['indexed', 'indexed', 'pending', 'failed', 'stale'];

function records(n: number): PhotoRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i.toString(16).padStart(64, '0'), name: `IMG_${i}.jpg`, type: 'image/jpeg', byteSize: 1000, width: 10, height: 10,
    addedAt: 1_700_000_000_000 + i * 1000, status: STATUSES[i % 5],
  }));
}

const names = (root: HTMLElement) => [...root.querySelectorAll('.cell-name')].map((e) => e.textContent);

test('10k photos: bounded cells, newest first by default, oldest first on request, filter by status', async () => {
  h = await setup({ model: false, paused: true });
  h.render(<GalleryPanel />);
  libraryActions.setAll(records(10_000));
  const grid = await waitFor(() => h!.container.querySelector<HTMLElement>('[data-testid="virtual-grid"]'));
  await waitFor(() => names(h!.container).length > 0);
  expect(grid.dataset.count).toBe('10000');
  expect(h.container.querySelectorAll('.cell').length).toBeLessThan(150);
  expect(names(h.container)[0]).toBe('IMG_9999.jpg');
  expect($(h.container, '#gallery-heading').textContent).toBe('Photos (10000)');

  const sort = $<HTMLSelectElement>(h.container, 'select');
  sort.value = 'oldest';
  sort.dispatchEvent(new Event('change', { bubbles: true }));
  await waitFor(() => names(h!.container)[0] === 'IMG_0.jpg');

  const filter = h.container.querySelectorAll<HTMLSelectElement>('select')[1];
  expect([...filter.options].map((o) => o.textContent)).toEqual(['All (10000)', 'Indexed (4000)', 'Pending (2000)', 'Failed (2000)', 'Stale (2000)']);
  filter.value = 'failed';
  filter.dispatchEvent(new Event('change', { bubbles: true }));
  await waitFor(() => $(h!.container, '#gallery-heading').textContent === 'Photos (2000 of 10000)');
  expect(names(h.container)[0]).toBe('IMG_3.jpg');
  for (const c of h.container.querySelectorAll<HTMLElement>('.cell')) expect(c.dataset.status).toBe('failed');
});
