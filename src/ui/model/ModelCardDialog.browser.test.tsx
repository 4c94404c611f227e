// The model card is one click away and says plainly what the model can and cannot do, then shows the
// package's own MODEL_CARD.md (as text: nothing in it is parsed as HTML).
import { afterEach, expect, test } from 'vitest';
import { button, setup, waitFor, type Harness } from '../testing/harness';
import { ModelCardButton } from './ModelCardButton';
import { ModelCardDialog } from './ModelCardDialog';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('one click opens it: scope statement, numbers, and the package card; Escape closes it', async () => {
  h = await setup();
  h.render(<><ModelCardButton /><ModelCardDialog /></>);
  const open = await waitFor(() => { const b = button(h!.container, 'Model card'); return b.disabled ? null : b; });
  open.click();
  const dialog = await waitFor(() => document.querySelector<HTMLDialogElement>('dialog[open]'));
  const scope = dialog.querySelector('[data-testid="model-scope"]')!.textContent!;
  expect(scope).toContain('What it can do');
  expect(scope).toContain('cannot do: understand real photos');
  expect(scope).toContain('Real photos need a real model package');
  // The fixture's MODEL_CARD.md, rendered as headings and paragraphs.
  await waitFor(() => dialog.querySelector('.markdown h3')?.textContent?.startsWith('Tiny random-weight test fixture'));
  expect(dialog.querySelector('.markdown code')!.textContent).toContain('python -m fwd2bot.export --tiny-random');
  expect(dialog.querySelector('.markdown script, .markdown img')).toBeNull();
  dialog.dispatchEvent(new Event('cancel', { cancelable: true }));
  await waitFor(() => !document.querySelector('dialog[open]'));
});
