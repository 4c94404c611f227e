// Turns any thrown value into visible UI state: "storage is full" becomes the library's storageFull banner,
// everything else an entry in the error list with its hint.

import { hintOf } from '../engine/errors';
import { actions, type DisplayError } from '../state/store';
import { libraryActions } from '../state/library';
import { isQuotaError } from '../storage/errors';

export function isStorageFull(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === 'StorageFullError' || isQuotaError(e);
}

export function isAbort(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === 'AbortError';
}

/** Shows the error (or the storage-full banner) and returns the displayed entry, if any. */
export function reportError(e: unknown, source: string): DisplayError | null {
  if (isAbort(e)) return null;
  const message = e instanceof Error ? e.message : String(e);
  if (isStorageFull(e)) {
    libraryActions.setStorageFull(message);
    return null;
  }
  const name = e instanceof Error ? e.name : 'Error';
  const hint = hintOf(e);
  return actions.pushError({ name, message, source, ...(hint ? { hint } : {}) });
}

/** One line for a failed photo: the message and what to do. */
export function reasonOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const hint = hintOf(e);
  return hint && !message.includes(hint) ? `${message} ${hint}` : message;
}
