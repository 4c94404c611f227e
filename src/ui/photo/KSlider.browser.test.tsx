// The K' slider (models with nested K): the next answer reads only the first K' summary tokens.
import { afterEach, expect, test } from 'vitest';
import { $, button, setup, waitFor, type Harness } from '../testing/harness';
import { PhotoDialog } from './PhotoDialog';
import { openIndexedPhoto } from './testPhoto';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('moving the slider to 1 makes the engine answer from 1 token; the label says so', async () => {
  h = await setup();
  h.render(<PhotoDialog />);
  await openIndexedPhoto();
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  const slider = $<HTMLInputElement>(dialog, '#k-slider');
  expect($(dialog, '[data-testid="k-value"]').textContent).toBe('2');
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(slider, '0');
  slider.dispatchEvent(new Event('input', { bubbles: true }));
  await waitFor(() => $(dialog, '[data-testid="k-value"]').textContent === '1');
  expect(slider.getAttribute('aria-valuetext')).toBe('1 of 2 summary tokens');
  const chip = await waitFor(() => { const x = button(dialog, 'how many objects are there ?'); return x.disabled ? null : x; });
  chip.click();
  await waitFor(() => dialog.querySelectorAll('.turns li').length === 2 && !dialog.querySelector('[data-testid="streaming-answer"]'));
  expect(h.engine.chatInputs[0].k).toBe(1);
  expect(dialog.querySelectorAll('.turns li')[1].textContent).toContain('(k=1)');
});

test('no slider when the model has a single K', async () => {
  h = await setup({ info: { nestedK: [] } });
  h.render(<PhotoDialog />);
  await openIndexedPhoto();
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  await waitFor(() => dialog.querySelector('.chat'));
  expect(dialog.querySelector('#k-slider')).toBeNull();
});
