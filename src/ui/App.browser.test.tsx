// The whole app shell with a fake engine: every section is there, and every control has an accessible
// name (buttons, inputs, selects), so it can be used with a keyboard and a screen reader.
import { afterEach, expect, test } from 'vitest';
import { App } from './App';
import { setup, waitFor, type Harness } from './testing/harness';
import './app.css';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

function accessibleName(el: HTMLElement): string {
  const labelled = el.getAttribute('aria-labelledby');
  if (labelled) return labelled.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
  const aria = el.getAttribute('aria-label');
  if (aria) return aria;
  if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) {
    const byFor = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
    const wrap = el.closest('label');
    return (byFor?.textContent ?? wrap?.textContent ?? el.title ?? '').trim();
  }
  return (el.textContent ?? el.title ?? '').trim();
}

test('sections and accessible names of every control', async () => {
  h = await setup();
  h.render(<App />);
  await waitFor(() => h!.container.querySelector('[data-testid="model-status"][data-state="ready"]'));
  const headings = [...h.container.querySelectorAll('h2')].map((e) => e.textContent);
  expect(headings).toEqual(expect.arrayContaining(['Compute backend', 'Model', 'Add photos', 'Indexing', 'Search', 'Settings and storage']));
  expect(headings.some((t) => t?.startsWith('Photos'))).toBe(true);
  const controls = [...h.container.querySelectorAll<HTMLElement>('button, input:not([type="file"]), select, textarea, summary')];
  expect(controls.length).toBeGreaterThan(10);
  const unnamed = controls.filter((c) => !accessibleName(c)).map((c) => c.outerHTML.slice(0, 120));
  expect(unnamed).toEqual([]);
  // File inputs are hidden and driven by labelled buttons.
  for (const f of h.container.querySelectorAll<HTMLInputElement>('input[type="file"]')) expect(f.hidden).toBe(true);
  expect(h.container.querySelector('[role="search"] input')).toBeTruthy();
});
