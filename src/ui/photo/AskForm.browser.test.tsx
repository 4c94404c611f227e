// Asking about a photo: the answer streams in word by word, is saved with the question, and is there again
// when the photo is reopened; Stop ends an answer where it is (and that much is saved).
import { afterEach, expect, test } from 'vitest';
import { services } from '../../app/services';
import { viewActions } from '../../state/view';
import { listChats } from '../../storage';
import { $, button, setup, typeInto, waitFor, type Harness } from '../testing/harness';
import { PhotoDialog } from './PhotoDialog';
import { openIndexedPhoto } from './testPhoto';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

const turns = (root: ParentNode) => [...root.querySelectorAll('.turns li')].map((li) => `${(li as HTMLElement).dataset.role}: ${li.textContent!.replace(/^(You asked:|Answer:) /, '').replace('▍', '')}`);

test('streams the answer, saves it, and shows the history when the photo is opened again', async () => {
  h = await setup({ wordMs: 40 });
  h.render(<PhotoDialog />);
  const photo = await openIndexedPhoto();
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  const input = $<HTMLInputElement>(dialog, '#ask-input');
  await waitFor(() => !input.disabled);
  typeInto(input, 'what colour is it?');
  button(dialog, 'Ask').click();
  // Partial text while streaming, with a Stop button.
  const streaming = await waitFor(() => dialog.querySelector('[data-testid="streaming-answer"]'));
  await waitFor(() => /the photo/.test(streaming.textContent ?? '') && !/\(k=2\)/.test(streaming.textContent ?? ''));
  expect(button(dialog, 'Stop')).toBeTruthy();
  await waitFor(() => !dialog.querySelector('[data-testid="streaming-answer"]'));
  expect(turns(dialog)).toEqual(['user: what colour is it?', 'assistant: the photo is red (k=2)']);
  const chats = await listChats(services.lib!, photo.id);
  expect(chats).toHaveLength(1);
  expect(chats[0].turns.map((t) => t.text)).toEqual(['what colour is it?', 'the photo is red (k=2)']);

  // Second question: the first turn goes to the engine as history.
  typeInto(input, 'and now?');
  button(dialog, 'Ask').click();
  await waitFor(() => turns(dialog).length === 4 && !dialog.querySelector('[data-testid="streaming-answer"]'));
  expect(h.engine.chatInputs[1].history.map((t) => t.text)).toEqual(['what colour is it?', 'the photo is red (k=2)']);

  viewActions.openPhoto(null);
  await waitFor(() => !document.querySelector('dialog[open]'));
  viewActions.openPhoto(photo.id);
  const again = await waitFor(() => document.querySelector('dialog[open]'));
  await waitFor(() => turns(again).length === 4);
});

test('Stop ends the answer where it is; the partial answer is kept', async () => {
  h = await setup({ wordMs: 150 });
  h.render(<PhotoDialog />);
  const photo = await openIndexedPhoto();
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  const input = $<HTMLInputElement>(dialog, '#ask-input');
  await waitFor(() => !input.disabled);
  typeInto(input, 'tell me');
  button(dialog, 'Ask').click();
  await waitFor(() => /photo/.test(dialog.querySelector('[data-testid="streaming-answer"]')?.textContent ?? ''));
  button(dialog, 'Stop').click();
  await waitFor(() => !dialog.querySelector('[data-testid="streaming-answer"]'));
  const t = turns(dialog);
  expect(t[0]).toBe('user: tell me');
  expect(t[1]).toMatch(/^assistant: the photo( is)?$/);
  const saved = (await listChats(services.lib!, photo.id))[0].turns;
  expect(saved[1].text).toBe(t[1].slice('assistant: '.length));
});
