// The indexing queue in the UI: overall progress and ETA while it runs, Pause (after the current photo),
// Resume, and Cancel (after confirming) which marks the queue cancelled; Retry queues failed photos again.
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { services } from '../../app/services';
import { countPhotos } from '../../storage';
import { queueStore } from '../../state/queue';
import { $, button, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { QueuePanel } from './QueuePanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

const progress = (root: HTMLElement) => $(root, '[data-testid="queue-progress"]');
const photos = async (n: number) => Promise.all(Array.from({ length: n }, (_, i) => colourPng(`hsl(${i * 40} 80% 50%)`, `p${i}.png`)));

test('progress, ETA, pause, resume', async () => {
  h = await setup({ compressMs: 120 });
  h.render(<QueuePanel />);
  await importFiles(await photos(6));
  await waitFor(() => progress(h!.container).dataset.mode === 'running');
  // After two photos the median duration gives an ETA.
  await waitFor(() => /[1-5] of 6 indexed.*Now: p\d\.png\. About .* left\./.test(progress(h!.container).textContent ?? ''));
  // Per-photo status: the one being indexed and the ones waiting.
  await waitFor(() => h!.container.querySelector('[data-testid="queue-list"] li[data-status="indexing"]'));
  expect(h.container.querySelector('[data-testid="queue-list"] li[data-status="pending"]')!.textContent).toMatch(/^waitingp\d\.png$/);

  button(h.container, 'Pause').click();
  await waitFor(() => progress(h!.container).dataset.mode === 'paused');
  expect(progress(h.container).textContent).toContain('Paused.');
  const indexedAtPause = await countPhotos(services.lib!, 'indexed');
  await new Promise((r) => setTimeout(r, 300));
  expect(await countPhotos(services.lib!, 'indexed')).toBe(indexedAtPause);
  expect(indexedAtPause).toBeLessThan(6);

  button(h.container, 'Resume').click();
  await waitFor(() => progress(h!.container).dataset.mode === 'idle' && progress(h!.container).textContent?.includes('6 of 6 indexed'));
  expect(progress(h.container).textContent).toContain('All photos are indexed.');
  expect(h.container.querySelector('[data-testid="queue-list"]')).toBeNull();
});

test('cancel (confirmed) marks the queue cancelled; Retry indexes them', async () => {
  h = await setup({ compressMs: 200 });
  h.render(<QueuePanel />);
  await importFiles(await photos(3));
  await waitFor(() => queueStore.getState().current !== null);
  (await waitFor(() => { const b = button(h!.container, 'Cancel'); return b.disabled ? null : b; })).click();
  (await waitFor(() => button(h!.container, 'Cancel indexing'))).click();
  await waitFor(() => h!.container.querySelectorAll('[data-testid="queue-list"] li[data-status="failed"]').length === 3);
  expect(h.container.querySelector('[data-testid="queue-list"]')!.textContent).toContain('Indexing was cancelled. Use Retry to index this photo.');
  button(h.container, 'Retry 3 failed').click();
  await waitFor(() => progress(h!.container).textContent?.includes('3 of 3 indexed'));
});
