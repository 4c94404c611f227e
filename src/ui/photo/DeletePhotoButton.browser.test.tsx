// Deleting the open photo (after confirming) removes it and closes the view.
import { afterEach, expect, test } from 'vitest';
import { services } from '../../app/services';
import { viewStore } from '../../state/view';
import { countPhotos } from '../../storage';
import { button, setup, waitFor, type Harness } from '../testing/harness';
import { PhotoDialog } from './PhotoDialog';
import { openIndexedPhoto } from './testPhoto';

let h: Harness | null = null;
afterEach(async () => { await h?.cleanup(); h = null; });

test('delete, confirm: the photo is gone and the view closes', async () => {
  h = await setup();
  h.render(<PhotoDialog />);
  await openIndexedPhoto();
  const dialog = await waitFor(() => document.querySelector('dialog[open]'));
  button(dialog, 'Delete photo').click();
  (await waitFor(() => button(dialog, 'Delete'))).click();
  await waitFor(() => viewStore.getState().openPhotoId === null);
  await waitFor(() => !document.querySelector('dialog[open]'));
  expect(await countPhotos(services.lib!)).toBe(0);
});
