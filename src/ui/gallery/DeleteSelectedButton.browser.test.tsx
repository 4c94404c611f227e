// Multi-select delete: select photos with their checkboxes (or Space), confirm, and they leave the library.
import { afterEach, expect, test } from 'vitest';
import { importFiles } from '../../app/importFiles';
import { services } from '../../app/services';
import { libraryStore } from '../../state/library';
import { countPhotos } from '../../storage';
import { button, colourPng, setup, waitFor, type Harness } from '../testing/harness';
import { GalleryPanel } from './GalleryPanel';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('select two of three (checkbox and Space), confirm, two are deleted', async () => {
  h = await setup({ paused: true });
  h.render(<GalleryPanel />);
  await importFiles([await colourPng('#f00', 'red.png'), await colourPng('#0f0', 'green.png'), await colourPng('#00f', 'blue.png')]);
  await waitFor(() => h!.container.querySelectorAll('.cell').length === 3);
  expect(button(h.container, 'Delete selected').disabled).toBe(true);
  const cell = (name: string) => [...h!.container.querySelectorAll<HTMLElement>('.cell')].find((c) => c.textContent?.includes(name))!;
  cell('red.png').querySelector<HTMLInputElement>('input[type="checkbox"]')!.click();
  cell('blue.png').querySelector<HTMLButtonElement>('.cell-open')!.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }));
  const del = await waitFor(() => { const b = button(h!.container, 'Delete selected (2)'); return b.disabled ? null : b; });
  del.click();
  const confirm = await waitFor(() => button(h!.container, 'Delete 2 photos'));
  expect(document.activeElement).toBe(confirm);
  confirm.click();
  await waitFor(() => libraryStore.getState().photos.size === 1);
  expect([...libraryStore.getState().photos.values()][0].name).toBe('green.png');
  expect(await countPhotos(services.lib!)).toBe(1);
  await waitFor(() => button(h!.container, 'Delete selected'));
});
