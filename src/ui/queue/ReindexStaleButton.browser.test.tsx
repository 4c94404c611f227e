// Loading another model makes photos indexed by the old one "stale"; Re-index queues them again (their
// originals are kept when "keep originals" is on) and the new model indexes them.
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { setKeepOriginals } from '../../app/libraryOps';
import { loadModel } from '../../app/modelLoader';
import { libraryStore } from '../../state/library';
import { button, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { QueuePanel } from './QueuePanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

const statuses = () => [...libraryStore.getState().photos.values()].map((p) => `${p.status}:${p.modelId ?? ''}`).sort();

test('a new model makes photos stale; Re-index indexes them with the new model', async () => {
  h = await setup();
  h.render(<QueuePanel />);
  await setKeepOriginals(true);
  await importFiles([await colourPng('#f00', 'red.png'), await colourPng('#00f', 'blue.png')]);
  const oldId = h.engine.info.modelId;
  await waitFor(() => statuses().join() === `indexed:${oldId},indexed:${oldId}`);

  // The same engine loads another package.
  h.engine.info = { ...h.engine.info, modelId: 'f2b-fake000000000002', name: 'another-model' };
  const before = h.engine.compressCalls;
  await loadModel({ kind: 'url', url: '/another/' });
  await waitFor(() => statuses().join() === `stale:${oldId},stale:${oldId}`);
  (await waitFor(() => button(h!.container, 'Re-index 2 stale photos'))).click();
  await waitFor(() => statuses().join() === 'indexed:f2b-fake000000000002,indexed:f2b-fake000000000002');
  expect(h.engine.compressCalls - before).toBe(2);
});
