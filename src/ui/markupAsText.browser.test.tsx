// Text from outside the app is shown as text, never parsed as HTML: a file name, a model name, a question,
// the model's streamed answers and captions that contain markup reach the DOM as text nodes; no element is
// injected and no injected handler runs (the whole app with a fake engine that answers in markup).
import { afterEach, expect, test } from 'vitest';
import type { ChatInput } from '../app/enginePort';
import { App } from './App';
import { openIndexedPhoto } from './photo/testPhoto';
import { $, button, setup, typeInto, waitFor, type Harness } from './testing/harness';
import './app.css';

let h: Harness | null = null;
afterEach(async () => {
  await h?.cleanup();
  h = null;
  delete (window as { __pwned?: unknown }).__pwned;
});

// Each would add an element with an id "injected-*" or set window.__pwned if it were parsed as HTML.
const FILE_NAME = '<img src=x id="injected-file" onerror="window.__pwned=1">.png';
const MODEL_NAME = '<b id="injected-model">bold</b> model';
const QUESTION = '<script id="injected-question">window.__pwned=2</script> what is it?';
const ANSWER = ['<img src=x ', 'id="injected-answer" onerror="window.__pwned=3">', ' & <a href="javascript:alert(1)" id="injected-link">link</a>'];
const CAPTION = ['<svg id="injected-caption" onload="window.__pwned=4"></svg>', ' a caption'];

/** Elements that only parsed markup could have made (the test runner's own inline scripts were there before). */
function injected(before: Set<Element>): string[] {
  return [...document.querySelectorAll('[id^="injected-"], img[src="x"], script:not([src]), a[href^="javascript:"], svg[onload], [onerror]')]
    .filter((e) => !before.has(e)).map((e) => e.outerHTML.slice(0, 120));
}

test('file names, model names, questions, answers and captions with markup are rendered as text', async () => {
  const before = new Set(document.querySelectorAll('script'));
  h = await setup({ info: { name: MODEL_NAME } });
  // The fake engine answers in markup, streamed in pieces that split the tags (as tokens would).
  h.engine.chat = async function* (input: ChatInput) {
    for (const piece of input.caption ? CAPTION : ANSWER) yield piece;
  };
  h.render(<App />);
  const status = await waitFor(() => h!.container.querySelector('[data-testid="model-status"][data-state="ready"]'));
  expect(status.textContent).toContain(MODEL_NAME);

  await openIndexedPhoto('#0a0', FILE_NAME);
  // The gallery cell and the photo view's title show the name as typed.
  const cellName = await waitFor(() => h!.container.querySelector('[data-testid="virtual-grid"] .cell-name'));
  expect(cellName.textContent).toBe(FILE_NAME);
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  expect($(dialog, '.dialog-title').textContent).toBe(FILE_NAME);

  const input = $<HTMLInputElement>(dialog, '#ask-input');
  await waitFor(() => !input.disabled);
  typeInto(input, QUESTION);
  button(dialog, 'Ask').click();
  await waitFor(() => dialog.querySelectorAll('.turns li').length === 2 && !dialog.querySelector('[data-testid="streaming-answer"]'));
  const caption = await waitFor(() => { const b = button(dialog, 'Caption'); return b.disabled ? null : b; });
  caption.click();
  await waitFor(() => dialog.querySelectorAll('.turns li').length === 4 && !dialog.querySelector('[data-testid="streaming-answer"]'));

  const turns = [...dialog.querySelectorAll('.turns li')].map((li) => li.textContent ?? '');
  expect(turns[0]).toContain(QUESTION);
  expect(turns[1]).toContain(ANSWER.join(''));
  expect(turns[3]).toContain(CAPTION.join(''));
  // The text is there as text nodes: the markup characters are escaped in the serialized HTML.
  expect(dialog.innerHTML).toContain('&lt;img src=x id="injected-answer"');

  // A search result names the photo as text too.
  button(dialog, `Close ${FILE_NAME}`).click();
  const box = await waitFor(() => h!.container.querySelector<HTMLInputElement>('[role="search"] input'));
  typeInto(box, 'green');
  const hit = await waitFor(() => h!.container.querySelector('[data-testid="search-results"][data-status="done"] .hit-name'));
  expect(hit.textContent).toBe(FILE_NAME);

  expect(injected(before)).toEqual([]);
  expect((window as { __pwned?: unknown }).__pwned).toBeUndefined();
});
