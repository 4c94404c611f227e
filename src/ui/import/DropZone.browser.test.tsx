// Dropping files (a real DataTransfer on a real drop event): good photos are added, a text file and a
// truncated JPEG are listed with their reasons, and neither stops the others.
import { afterEach, expect, test } from 'vitest';
import { libraryStore } from '../../state/library';
import { $, colourPng, setup, truncatedJpeg, waitFor, type Harness } from '../testing/harness';
import { ImportPanel } from './ImportPanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('drop: photos added, a text file and a truncated JPEG listed with reasons', async () => {
  h = await setup({ paused: true });
  h.render(<ImportPanel />);
  const dt = new DataTransfer();
  dt.items.add(await colourPng('#f00', 'red.png'));
  dt.items.add(new File(['just some notes'], 'notes.txt', { type: 'text/plain' }));
  dt.items.add(await truncatedJpeg('broken.jpg'));
  dt.items.add(await colourPng('#00f', 'blue.png'));
  const zone = $(h.container, '[data-testid="dropzone"]');
  zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
  await waitFor(() => zone.classList.contains('over'));
  zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));

  const report = await waitFor(() => h!.container.querySelector('[data-testid="import-report"]'));
  expect(report.textContent).toContain('2 photos added');
  const problems = [...report.querySelectorAll('[data-testid="import-problems"] li')].map((li) => li.textContent);
  expect(problems).toHaveLength(2);
  expect(problems[0]).toMatch(/^notes\.txt: Not a photo \(text\/plain\)/);
  expect(problems[1]).toMatch(/^broken\.jpg: The file is cut short \(truncated\).*no end marker/);
  await waitFor(() => libraryStore.getState().photos.size === 2);
  expect([...libraryStore.getState().photos.values()].map((p) => p.name).sort()).toEqual(['blue.png', 'red.png']);
  expect(zone.classList.contains('over')).toBe(false);
});

test('dropping the same photo again reports it as a duplicate', async () => {
  h = await setup({ paused: true });
  h.render(<ImportPanel />);
  const file = await colourPng('#0f0', 'green.png');
  for (let i = 0; i < 2; i++) {
    const dt = new DataTransfer();
    dt.items.add(file);
    $(h.container, '[data-testid="dropzone"]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    await waitFor(() => h!.container.querySelector('[data-testid="import-report"]'));
    if (i === 0) $(h.container, '[data-testid="import-report"] button').click();
  }
  await waitFor(() => h!.container.querySelector('[data-testid="import-report"]')?.textContent?.includes('1 duplicate skipped'));
  await waitFor(() => libraryStore.getState().photos.size === 1);
  await new Promise((r) => setTimeout(r, 100));
  expect(libraryStore.getState().photos.size).toBe(1);
});
