// "Find similar" ranks the other photos against the chosen one's stored embedding (the photo itself left out).
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { deleteSelectedPhotos } from '../../app/libraryOps';
import { runSearch } from '../../app/search';
import { libraryStore } from '../../state/library';
import { button, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { FindSimilarButton } from './FindSimilarButton';
import { SearchResults } from './SearchResults';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('ranks the others by similarity to this photo', async () => {
  h = await setup();
  await importFiles(await Promise.all([['#f00', 'red'], ['#d10', 'red2'], ['#00f', 'blue']].map(([c, n]) => colourPng(c, `${n}.png`))));
  await waitFor(() => libraryStore.getState().photos.size > 0 && [...libraryStore.getState().photos.values()].every((p) => p.status === 'indexed'));
  const red = [...libraryStore.getState().photos.values()].find((p) => p.name === 'red.png')!;
  h.render(<><FindSimilarButton photoId={red.id} /><SearchResults /></>);
  await waitFor(() => !button(h!.container, 'Find similar').disabled);
  button(h.container, 'Find similar').click();
  await waitFor(() => h!.container.querySelectorAll('.hits li').length === 2);
  expect([...h.container.querySelectorAll('.hits li .hit-name')].map((e) => e.textContent)).toEqual(['red2.png', 'blue.png']);
  expect(h.container.querySelector('h3')!.textContent).toBe('Photos like red.png');
});

test('a deleted photo leaves the results; deleting the query photo ends the "like this" search', async () => {
  h = await setup();
  await importFiles(await Promise.all([['#f00', 'red'], ['#d10', 'red2'], ['#00f', 'blue']].map(([c, n]) => colourPng(c, `${n}.png`))));
  await waitFor(() => libraryStore.getState().photos.size === 3 && [...libraryStore.getState().photos.values()].every((p) => p.status === 'indexed'));
  const byName = (n: string) => [...libraryStore.getState().photos.values()].find((p) => p.name === n)!;
  h.render(<SearchResults />);
  await runSearch({ kind: 'similar', photoId: byName('red.png').id });
  await waitFor(() => h!.container.querySelectorAll('.hits li').length === 2);
  await deleteSelectedPhotos([byName('blue.png').id]);
  await waitFor(() => h!.container.querySelectorAll('.hits li').length === 1);
  expect(h.container.textContent).toContain('Compared with 1 indexed photo.');
  await deleteSelectedPhotos([byName('red.png').id]);
  await waitFor(() => !h!.container.querySelector('[data-testid="search-results"]'));
});
