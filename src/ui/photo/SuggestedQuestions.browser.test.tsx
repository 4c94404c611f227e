// Suggested questions in the synthetic world's phrasing; one click asks it.
import { afterEach, expect, test } from 'vitest';
import { SYNTHETIC_QUESTIONS } from '../../app/suggestions';
import { $, button, setup, waitFor, type Harness } from '../testing/harness';
import { PhotoDialog } from './PhotoDialog';
import { openIndexedPhoto } from './testPhoto';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('lists the questions and asks the one clicked', async () => {
  h = await setup();
  h.render(<PhotoDialog />);
  await openIndexedPhoto();
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  const group = $(dialog, '[aria-label="Suggested questions"]');
  expect([...group.querySelectorAll('button')].map((b) => b.textContent)).toEqual([...SYNTHETIC_QUESTIONS]);
  const b = await waitFor(() => { const x = button(group, 'what is written on the sign ?'); return x.disabled ? null : x; });
  b.click();
  await waitFor(() => h!.engine.chatInputs.length === 1);
  expect(h.engine.chatInputs[0].question).toBe('what is written on the sign ?');
});
