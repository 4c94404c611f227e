// "Try sample photos" adds the model package's bundled samples (fetched from the package URL); it is
// disabled until the model has loaded.
import { afterEach, expect, test } from 'vitest';
import { libraryStore } from '../../state/library';
import { button, setup, waitFor, type Harness } from '../testing/harness';
import { TrySamplesButton } from './TrySamplesButton';
import { loadModel } from '../../app/modelLoader';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('disabled without a model; then adds the 4 bundled sample photos', async () => {
  h = await setup({ model: false, paused: true });
  h.render(<TrySamplesButton />);
  expect(button(h.container, /Try sample photos/).disabled).toBe(true);
  await loadModel({ kind: 'url', url: '/test/fixtures/tiny-package/' });
  const b = await waitFor(() => { const x = button(h!.container, 'Try sample photos (4)'); return x.disabled ? null : x; });
  b.click();
  await waitFor(() => libraryStore.getState().photos.size === 4);
  expect([...libraryStore.getState().photos.values()].map((p) => p.name).sort())
    .toEqual(['sample_00.png', 'sample_01.png', 'sample_02.png', 'sample_03.png']);
  for (const p of libraryStore.getState().photos.values()) expect(p.status).toBe('pending');
});
