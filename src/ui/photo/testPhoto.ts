// Shared by the photo-view tests: one indexed photo, opened.
import { importFiles } from '../../app/importFiles';
import { libraryStore } from '../../state/library';
import { viewActions } from '../../state/view';
import type { PhotoRecord } from '../../storage/records';
import { colourPng, waitFor } from '../testing/harness';

export async function openIndexedPhoto(colour = '#f00', name = 'red.png'): Promise<PhotoRecord> {
  await importFiles([await colourPng(colour, name)]);
  const photo = await waitFor(() => [...libraryStore.getState().photos.values()].find((p) => p.name === name && p.status === 'indexed'));
  viewActions.openPhoto(photo.id);
  return photo;
}
