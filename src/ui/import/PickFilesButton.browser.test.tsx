// The file picker: files chosen in the (hidden) input are added; the button opens the picker.
import { afterEach, expect, test } from 'vitest';
import { libraryStore } from '../../state/library';
import { $, button, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { PickFilesButton } from './PickFilesButton';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('choosing files adds them; the button clicks the hidden input', async () => {
  h = await setup({ paused: true });
  h.render(<PickFilesButton />);
  const input = $<HTMLInputElement>(h.container, '[data-testid="pick-files-input"]');
  let opened = 0;
  input.addEventListener('click', (e) => { opened++; e.preventDefault(); });
  button(h.container, 'Choose photos…').click();
  expect(opened).toBe(1);
  const dt = new DataTransfer();
  dt.items.add(await colourPng('#f00', 'a.png'));
  dt.items.add(await colourPng('#0f0', 'b.png'));
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  await waitFor(() => libraryStore.getState().photos.size === 2);
  expect(input.value).toBe('');
});
