// User settings kept with the library (records.ts: Settings). The current model id is set through
// indexing.ts setCurrentModel, which also marks tokens of other models stale.

import type { Library } from './library';
import { DEFAULT_SETTINGS, type Settings } from './records';

export async function getSettings(lib: Library): Promise<Settings> {
  const rows = await (await lib.connection()).getAll('settings');
  const s: Settings = { ...DEFAULT_SETTINGS };
  for (const r of rows) {
    if (r.key === 'keepOriginals' && typeof r.value === 'boolean') s.keepOriginals = r.value;
    if (r.key === 'currentModelId' && (typeof r.value === 'string' || r.value === null)) s.currentModelId = r.value;
  }
  return s;
}

/**
 * Changes settings in one transaction. Turning keepOriginals off also deletes the originals of indexed photos,
 * freeing their space; pending, failed and stale photos keep theirs (indexing them again needs the file).
 */
export async function updateSettings(lib: Library, patch: Partial<Pick<Settings, 'keepOriginals'>>): Promise<Settings> {
  await lib.write('save settings', ['settings', 'originals', 'photos'], async (tx) => {
    if (patch.keepOriginals === undefined) return;
    await tx.objectStore('settings').put({ key: 'keepOriginals', value: patch.keepOriginals });
    if (patch.keepOriginals) return;
    const originals = tx.objectStore('originals');
    for (let c = await originals.openCursor(); c; c = await c.continue()) {
      const photo = await tx.objectStore('photos').get(c.key);
      if (photo === undefined || photo.status === 'indexed') await c.delete();
    }
  }, () => ({ kind: 'settings-changed', photoIds: [] }));
  return getSettings(lib);
}
