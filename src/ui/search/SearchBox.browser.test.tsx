// Typing a description ranks the indexed photos by cosine similarity as you type (debounced: one engine
// call for a burst of keystrokes), with the score shown.
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { libraryStore } from '../../state/library';
import { $, colourPng, setup, typeInto, waitFor, type Harness } from '../testing/harness';
import { SearchPanel } from './SearchPanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

async function indexedColours(): Promise<void> {
  await importFiles([await colourPng('#f00', 'red.png'), await colourPng('#0f0', 'green.png'), await colourPng('#00f', 'blue.png')]);
  await waitFor(() => [...libraryStore.getState().photos.values()].filter((p) => p.status === 'indexed').length === 3);
}

const hitNames = (root: HTMLElement) => [...root.querySelectorAll('.hits li .hit-name')].map((e) => e.textContent);

test('ranked results with scores as you type, debounced', async () => {
  h = await setup();
  await indexedColours();
  h.render(<SearchPanel />);
  let calls = 0;
  const embed = h.engine.embedText.bind(h.engine);
  h.engine.embedText = (t, o) => { calls++; return embed(t, o); };
  const input = $<HTMLInputElement>(h.container, '#search-input');
  for (const partial of ['g', 'gr', 'gre', 'gree', 'green']) typeInto(input, partial);
  await waitFor(() => hitNames(h!.container)[0] === 'green.png');
  expect(calls).toBe(1);
  const scores = [...h.container.querySelectorAll<HTMLElement>('.hits li')].map((li) => Number(li.dataset.score));
  expect(scores[0]).toBeGreaterThan(0.99);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  expect(h.container.querySelector('.hits li .score')!.textContent).toMatch(/^0\.99\d|^1\.000$/);
  expect($(h.container, '[data-testid="search-results"] h3').textContent).toBe('Photos matching “green”');

  typeInto(input, 'blue');
  await waitFor(() => hitNames(h!.container)[0] === 'blue.png');
  typeInto(input, '');
  await waitFor(() => !h!.container.querySelector('[data-testid="search-results"]'));
});
