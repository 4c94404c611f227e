// Library-wide actions from the gallery and settings: delete, retry, re-index stale, export, import, clear,
// keep originals. Each is one storage call; the library's events update the store.

import { viewActions } from '../state/view';
import {
  clearLibrary, deletePhotos, exportLibrary, getSettings, importLibrary, LIBRARY_FILE_EXTENSION, reindexStale, retryPhoto,
  updateSettings, type ImportReport as LibraryImportReport,
} from '../storage';
import type { Settings } from '../storage/records';
import { forgetThumbnails } from './photoImages';
import { dropSearchCache } from './search';
import { requireLibrary, services } from './services';

export async function deleteSelectedPhotos(ids: readonly string[]): Promise<number> {
  const deleted = await deletePhotos(requireLibrary(), ids);
  viewActions.forget(deleted);
  forgetThumbnails(deleted);
  return deleted.length;
}

export async function retryFailed(ids: readonly string[]): Promise<void> {
  const lib = requireLibrary();
  for (const id of ids) await retryPhoto(lib, id);
  services.runner?.wake();
}

export async function reindexStalePhotos(): Promise<{ queued: number; needOriginal: number }> {
  const r = await reindexStale(requireLibrary());
  services.runner?.wake();
  return { queued: r.queued.length, needOriginal: r.needOriginal.length };
}

/** The whole library as a file, and the name to save it under. */
export async function exportToFile(onProgress?: (done: number, total: number) => void): Promise<{ blob: Blob; fileName: string }> {
  const blob = await exportLibrary(requireLibrary(), onProgress ? { onProgress } : {});
  const day = new Date().toISOString().slice(0, 10);
  return { blob, fileName: `fwd2bot-library-${day}${LIBRARY_FILE_EXTENSION}` };
}

export async function importFromFile(file: Blob, onProgress?: (done: number, total: number) => void): Promise<LibraryImportReport> {
  const report = await importLibrary(requireLibrary(), file, onProgress ? { onProgress } : {});
  services.runner?.wake();
  return report;
}

export async function clearAllData(): Promise<void> {
  await clearLibrary(requireLibrary());
  dropSearchCache();
  viewActions.select([]);
  viewActions.openPhoto(null);
}

export async function setKeepOriginals(keep: boolean): Promise<Settings> {
  return updateSettings(requireLibrary(), { keepOriginals: keep });
}

export async function readSettings(): Promise<Settings> {
  return getSettings(requireLibrary());
}
