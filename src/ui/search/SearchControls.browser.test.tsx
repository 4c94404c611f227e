// Top-k and the similarity threshold re-rank the current query without asking the engine again.
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { runSearch } from '../../app/search';
import { libraryStore } from '../../state/library';
import { f16ArrayToF32 } from '../../shared/fp16';
import { $, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { SearchPanel } from './SearchPanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

const hits = (root: HTMLElement) => [...root.querySelectorAll('.hits li')].length;

function setValue(input: HTMLInputElement, value: string) {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

test('top-k limits the hits; the threshold drops weak ones', async () => {
  h = await setup();
  await importFiles(await Promise.all(['#f00', '#e00', '#0f0', '#00f'].map((c, i) => colourPng(c, `c${i}.png`))));
  await waitFor(() => libraryStore.getState().photos.size > 0 && [...libraryStore.getState().photos.values()].every((p) => p.status === 'indexed'));
  h.render(<SearchPanel />);
  let calls = 0;
  const embed = h.engine.embedText.bind(h.engine);
  h.engine.embedText = (t, o) => { calls++; return embed(t, o); };
  await runSearch({ kind: 'text', text: 'red' });
  await waitFor(() => hits(h!.container) === 4);
  const [topK, threshold] = [$<HTMLInputElement>(h.container, 'input[type="number"]'), $<HTMLInputElement>(h.container, 'input[type="range"]')];
  setValue(topK, '2');
  await waitFor(() => hits(h!.container) === 2);
  setValue(topK, '10');
  await waitFor(() => hits(h!.container) === 4);
  setValue(threshold, '0.9');
  await waitFor(() => hits(h!.container) === 2); // the two reds
  expect($(h.container, '.search-controls output').textContent).toBe('0.90');
  for (const li of h.container.querySelectorAll<HTMLElement>('.hits li')) expect(Number(li.dataset.score)).toBeGreaterThanOrEqual(0.9);
  expect(calls).toBe(1);
});

/** A GPU ranker for the fake engine: a float64 scan of what was uploaded, after `delayMs`; or one that fails. */
function fakeGallery(delayMs: number, fail = false) {
  let rows: Float32Array = new Float32Array(0);
  let d = 0;
  const calls = { upload: 0, rank: 0 };
  return {
    calls,
    ranker: {
      async upload(m: { d: number; data: Uint16Array }) {
        calls.upload++;
        d = m.d;
        rows = f16ArrayToF32(m.data);
        return m.data.length > 0;
      },
      async rank(q: Float32Array, k: number) {
        calls.rank++;
        await new Promise((r) => setTimeout(r, delayMs));
        if (fail) throw new Error('GPU device was lost');
        const n = d ? rows.length / d : 0;
        const s = Array.from({ length: n }, (_, i) => ({ index: i, score: q.reduce((a, v, j) => a + v * rows[i * d + j], 0) }));
        return s.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
      },
    },
  };
}

async function indexedColours(opts: Parameters<typeof setup>[0]) {
  h = await setup(opts);
  await importFiles(await Promise.all(['#f00', '#e00', '#0f0', '#00f'].map((c, i) => colourPng(c, `c${i}.png`))));
  await waitFor(() => libraryStore.getState().photos.size === 4 && [...libraryStore.getState().photos.values()].every((p) => p.status === 'indexed'));
  h.render(<SearchPanel />);
  return h;
}

test('search ranks where it measured faster, shows why, and falls back to the JS scan when the GPU fails', async () => {
  // no GPU ranking in the engine: the JS scan, saying so
  await indexedColours({});
  await runSearch({ kind: 'text', text: 'red' });
  await waitFor(() => hits(h!.container) === 4);
  expect($(h!.container, '[data-testid="search-ranking"]').textContent).toMatch(/JS scan on the main thread .*this engine has no GPU ranking/);
  const jsOrder = [...h!.container.querySelectorAll<HTMLElement>('.hits li')].map((li) => li.dataset.photoId);
  await h!.cleanup();

  // a GPU ranker much slower than the scan of 4 photos: measured, and the scan wins
  const slow = fakeGallery(30);
  await indexedColours({ info: { device: 'webgpu' } });
  h!.engine.gallery = slow.ranker;
  await runSearch({ kind: 'text', text: 'red' });
  await waitFor(() => hits(h!.container) === 4);
  expect($(h!.container, '[data-testid="search-ranking"]').textContent).toMatch(/JS scan on the main thread \(measured on 4 photos: GPU kernel [\d.]+ ms vs JS scan [\d.]+ ms/);
  expect(slow.calls.rank).toBeGreaterThanOrEqual(2); // warm-up + timed runs
  const ranksAfterChoice = slow.calls.rank;
  await runSearch({ kind: 'text', text: 'green' });
  await waitFor(() => h!.container.querySelector('.hits li')?.getAttribute('data-photo-id') !== jsOrder[0]);
  expect(slow.calls.rank).toBe(ranksAfterChoice); // the choice is kept for this library size
  await h!.cleanup();

  // a GPU ranker that fails (device lost) while being measured: the JS scan's hits, and the reason says what happened
  await indexedColours({ info: { device: 'webgpu' } });
  h!.engine.gallery = fakeGallery(0, true).ranker;
  await runSearch({ kind: 'text', text: 'red' });
  await waitFor(() => hits(h!.container) === 4);
  expect([...h!.container.querySelectorAll<HTMLElement>('.hits li')].map((li) => li.dataset.photoId)).toEqual(jsOrder);
  expect($(h!.container, '[data-testid="search-ranking"]').textContent).toMatch(/JS scan on the main thread .*the GPU kernel failed: GPU device was lost/);
});
