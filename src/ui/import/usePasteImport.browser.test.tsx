// Pasting an image anywhere adds it (named after the paste time); pasting plain text does nothing.
import { afterEach, expect, test } from 'vitest';
import { libraryStore } from '../../state/library';
import { colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { usePasteImport } from './usePasteImport';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

function PasteTarget() {
  usePasteImport();
  return <input aria-label="some text field" />;
}

test('a pasted image is added as pasted-<time>.png; a text paste is left alone', async () => {
  h = await setup({ paused: true });
  h.render(<PasteTarget />);
  const text = new DataTransfer();
  text.setData('text/plain', 'hello');
  const textEvent = new ClipboardEvent('paste', { clipboardData: text, bubbles: true, cancelable: true });
  document.dispatchEvent(textEvent);
  expect(textEvent.defaultPrevented).toBe(false);

  const dt = new DataTransfer();
  dt.items.add(await colourPng('#f0f', 'image.png'));
  const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
  document.dispatchEvent(ev);
  expect(ev.defaultPrevented).toBe(true);
  await waitFor(() => libraryStore.getState().photos.size === 1);
  expect([...libraryStore.getState().photos.values()][0].name).toMatch(/^pasted-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.png$/);
});
