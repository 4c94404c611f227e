// How much this site stores and may store (navigator.storage), and the request to keep it from eviction.

import type { StorageEstimateInfo } from './events';

function storageManager(): StorageManager | undefined {
  return typeof navigator !== 'undefined' ? navigator.storage : undefined;
}

/** Usage and quota from navigator.storage.estimate(); nulls where the browser does not say. */
export async function getStorageEstimate(): Promise<StorageEstimateInfo> {
  const sm = storageManager();
  if (!sm?.estimate) return { usage: null, quota: null, persisted: false };
  const [est, persisted] = await Promise.all([sm.estimate(), sm.persisted ? sm.persisted() : Promise.resolve(false)]);
  return { usage: est.usage ?? null, quota: est.quota ?? null, persisted };
}

/**
 * Asks the browser to keep the library under storage pressure (navigator.storage.persist()). Chromium decides
 * silently from site engagement; Firefox may prompt, so call this after a user action (adding photos).
 * Returns whether storage is persisted now.
 */
export async function requestPersistence(): Promise<boolean> {
  const sm = storageManager();
  if (!sm?.persist) return false;
  try {
    if (sm.persisted && (await sm.persisted())) return true;
    return await sm.persist();
  } catch {
    return false;
  }
}
