// Named errors of the photo library. Each message tells the user what to do.
// (Format errors live beside their codecs: TokenFormatError in tokenCodec.ts, LibraryFileError in libraryFile.ts.)

/** The browser refused a write because the site's storage quota is full. Nothing already stored was lost. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
  constructor(readonly operation: string, options?: { cause?: unknown }) {
    super(`Storage is full: "${operation}" was not saved (nothing already in the library was lost). ` +
      'Delete some photos, export the library to a file and clear it, or free disk space on this device, then try again.', options);
  }
}

/** IndexedDB cannot be opened at all (disabled, private mode restrictions, or broken profile). */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`The photo library cannot be opened (${detail}). Allow site data for this page, leave private browsing, ` +
      'or try another browser profile.', options);
  }
}

/** Another tab opened a newer version of the app's library; this tab's connection was closed. */
export class LibraryOutdatedError extends Error {
  override readonly name = 'LibraryOutdatedError';
  constructor() {
    super('The photo library was upgraded by a newer version of this app in another tab. Reload this page to continue.');
  }
}

/** Opening is waiting for other tabs that still hold an older version of the library open. */
export class LibraryBlockedError extends Error {
  override readonly name = 'LibraryBlockedError';
  constructor() {
    super('The photo library is being upgraded, but another tab of this app still has it open. Close or reload the other tabs.');
  }
}

/** The photo is not (or no longer) in the library. */
export class PhotoNotFoundError extends Error {
  override readonly name = 'PhotoNotFoundError';
  constructor(readonly photoId: string) {
    super(`Photo ${photoId.slice(0, 12)}… is not in the library (it may have been deleted in another tab). Refresh the list.`);
  }
}

/** Re-indexing needs the original file, which was not kept (settings.keepOriginals is off). */
export class OriginalMissingError extends Error {
  override readonly name = 'OriginalMissingError';
  constructor(readonly photoId: string) {
    super(`The original of photo ${photoId.slice(0, 12)}… was not kept, so it cannot be indexed again. Add the photo file again.`);
  }
}

/** The library holds something that breaks its own invariants (found by a read, not by a format check). */
export class LibraryCorruptError extends Error {
  override readonly name = 'LibraryCorruptError';
  constructor(detail: string) {
    super(`The photo library is inconsistent (${detail}). Export what is readable, clear the library and import it again.`);
  }
}

function errorName(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : undefined;
}

/** True for the browser's quota failure, whichever way it arrives (request error, tx.error, DOMException code 22). */
export function isQuotaError(e: unknown): boolean {
  if (errorName(e) === 'QuotaExceededError') return true;
  return typeof DOMException !== 'undefined' && e instanceof DOMException && e.code === 22;
}
