// Loading another model package from a folder: the picked files go to the engine as a 'files' source.
import { afterEach, expect, test } from 'vitest';
import { modelStore } from '../../state/model';
import { $, button, setup, waitFor, type Harness } from '../testing/harness';
import { LoadModelFolderButton } from './LoadModelFolderButton';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('the chosen folder is loaded as the model', async () => {
  h = await setup({ model: false });
  h.render(<LoadModelFolderButton />);
  const input = $<HTMLInputElement>(h.container, '[data-testid="model-folder-input"]');
  expect(input.hasAttribute('webkitdirectory')).toBe(true);
  let opened = 0;
  input.addEventListener('click', (e) => { opened++; e.preventDefault(); });
  button(h.container, 'Load a model folder…').click();
  expect(opened).toBe(1);
  const dt = new DataTransfer();
  dt.items.add(new File(['{}'], 'manifest.json', { type: 'application/json' }));
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  await waitFor(() => modelStore.getState().model.kind === 'ready');
  expect(h.engine.loads).toHaveLength(1);
  const src = h.engine.loads[0];
  expect(src.kind === 'files' && src.files.map((f) => f.name)).toEqual(['manifest.json']);
  const m = modelStore.getState().model;
  expect(m.kind === 'ready' && m.info.baseUrl).toBe(null);
});
