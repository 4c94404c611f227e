// Export then import: the library file brings the photos (and their indexed state) back after a clear.
import { afterEach, expect, test } from 'vitest';
import { exportToFile } from '../../app/libraryOps';
import { importFiles } from '../../app/importFiles';
import { libraryStore } from '../../state/library';
import { $, button, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { SettingsPanel } from './SettingsPanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('Export library downloads a .f2blib file; Clear then Import library restores the photos', async () => {
  h = await setup();
  await importFiles([await colourPng('#f00', 'red.png'), await colourPng('#0f0', 'green.png')]);
  await waitFor(() => libraryStore.getState().photos.size === 2 && [...libraryStore.getState().photos.values()].every((p) => p.status === 'indexed'));
  h.render(<SettingsPanel />);

  const downloads: { name: string; href: string }[] = [];
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) { downloads.push({ name: this.download, href: this.href }); };
  try {
    button(h.container, 'Export library').click();
    await waitFor(() => downloads.length === 1);
  } finally {
    HTMLAnchorElement.prototype.click = click;
  }
  expect(downloads[0].name).toMatch(/^fwd2bot-library-\d{4}-\d\d-\d\d\.f2blib$/);
  const file = await (await fetch(downloads[0].href)).blob();
  expect(file.size).toBeGreaterThan(100);

  button(h.container, 'Clear all data').click();
  (await waitFor(() => button(h!.container, 'Clear everything'))).click();
  await waitFor(() => libraryStore.getState().photos.size === 0);

  const input = $<HTMLInputElement>(h.container, '[data-testid="import-library-input"]');
  const dt = new DataTransfer();
  dt.items.add(new File([file], 'lib.f2blib'));
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  await waitFor(() => $(h!.container, '[data-testid="import-library-note"]').textContent?.includes('2 photos imported'));
  await waitFor(() => libraryStore.getState().photos.size === 2);
  expect([...libraryStore.getState().photos.values()].map((p) => `${p.name}:${p.status}`).sort()).toEqual(['green.png:indexed', 'red.png:indexed']);
  void exportToFile; // the action the button calls
});
