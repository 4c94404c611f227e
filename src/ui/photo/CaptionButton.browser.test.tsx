// "Caption" asks the model's caption question without the chat history, and saves the caption in the chat.
import { afterEach, expect, test } from 'vitest';
import { button, setup, waitFor, type Harness } from '../testing/harness';
import { PhotoDialog } from './PhotoDialog';
import { openIndexedPhoto } from './testPhoto';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('captions the photo with the caption question', async () => {
  h = await setup();
  h.render(<PhotoDialog />);
  await openIndexedPhoto('#00f', 'blue.png');
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  const b = await waitFor(() => { const x = button(dialog, 'Caption'); return x.disabled ? null : x; });
  b.click();
  await waitFor(() => dialog.querySelectorAll('.turns li').length === 2 && !dialog.querySelector('[data-testid="streaming-answer"]'));
  expect(h.engine.chatInputs[0]).toMatchObject({ question: 'describe the image .', history: [], caption: true });
  expect(dialog.querySelectorAll('.turns li')[1].textContent).toContain('the photo is blue');
});
