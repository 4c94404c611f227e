// Top-k and the similarity threshold re-rank the current query without asking the engine again.
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { runSearch } from '../../app/search';
import { libraryStore } from '../../state/library';
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
