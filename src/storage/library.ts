// The connection to the photo library: opening (with migrations), the multi-tab callbacks, and the two ways
// every operation touches IndexedDB: `read` (one readonly transaction) and `write` (one readwrite transaction
// per logical change, which commits everything or nothing, maps quota failures to StorageFullError, and then
// tells this tab's listeners and the other tabs what changed). Operations live in photos.ts, indexing.ts,
// vectors.ts, chats.ts, settings.ts, exportImport.ts; they all take a Library.

import { openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import {
  LibraryOutdatedError, StorageFullError, StorageUnavailableError, isQuotaError, LibraryBlockedError,
} from './errors';
import { Emitter, type ConnectionState, type LibraryChange, type StorageEstimateInfo, type StorageListener } from './events';
import { recoverJobs } from './indexing';
import { runMigrations } from './migrations';
import { getStorageEstimate } from './quota';
import { DB_NAME, DB_VERSION, type LibrarySchema, type StoreName } from './schema';
import { holdTabLock, newTabId } from './tabs';
import { storageTestHooks } from './testHooks';

export type LibraryDb = IDBPDatabase<LibrarySchema>;
export type ReadTx<S extends readonly StoreName[]> = IDBPTransaction<LibrarySchema, S, 'readonly'>;
export type WriteTx<S extends readonly StoreName[]> = IDBPTransaction<LibrarySchema, S, 'readwrite'>;

interface ChannelMessage {
  from: string; // tab id
  change: LibraryChange;
}

export interface OpenLibraryOptions {
  name?: string; // database name; tests use their own
  tabId?: string; // defaults to a fresh random id
  onEvent?: StorageListener; // subscribed before opening, so 'blocked' during the open is seen
  broadcast?: boolean; // tell other tabs about changes over BroadcastChannel (default true)
}

export class Library {
  private db: LibraryDb | null = null;
  private opening: Promise<LibraryDb> | null = null;
  private outdated = false;
  private closed = false;
  private connState: ConnectionState | 'connecting' = 'connecting';
  private readonly emitter = new Emitter();
  private readonly channel: BroadcastChannel | null;
  private releaseLock: () => void = () => {};
  private quotaTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly name: string, readonly tabId: string, broadcast: boolean) {
    this.channel = broadcast && typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(`fwd2bot-storage:${name}`) : null;
    this.channel?.addEventListener('message', (e: MessageEvent<ChannelMessage>) => {
      if (e.data?.from !== this.tabId && e.data?.change) this.emitter.emit({ type: 'library-changed', change: e.data.change, remote: true });
    });
  }

  /** Listen to changes, quota, storage-full and connection events. Returns the unsubscribe function. */
  subscribe(listener: StorageListener): () => void {
    return this.emitter.subscribe(listener);
  }

  get connectionState(): ConnectionState | 'connecting' {
    return this.connState;
  }

  /** The open database (reopened after the browser terminated it). For operations, tests and benchmarks. */
  async connection(): Promise<LibraryDb> {
    if (this.closed) throw new StorageUnavailableError('this library handle was closed');
    if (this.outdated) throw new LibraryOutdatedError();
    if (this.db) return this.db;
    this.opening ??= this.openDb().finally(() => (this.opening = null));
    return this.opening;
  }

  private setState(state: ConnectionState, message: string): void {
    if (state === this.connState) return;
    this.connState = state;
    this.emitter.emit({ type: 'connection', state, message });
  }

  private async openDb(): Promise<LibraryDb> {
    let migrationError: unknown = null;
    let db: LibraryDb;
    try {
      db = await openDB<LibrarySchema>(this.name, DB_VERSION, {
        upgrade: (udb, oldVersion, newVersion, tx) => {
          runMigrations(udb, tx, oldVersion, newVersion ?? DB_VERSION).catch((e: unknown) => {
            migrationError = e;
            try {
              tx.abort();
            } catch { /* already finished */ }
          });
        },
        blocked: () => this.setState('blocked', new LibraryBlockedError().message),
        blocking: (_current, next) => this.onBlocking(next),
        terminated: () => {
          this.db = null;
          this.setState('terminated', 'The browser closed the photo library (storage was cleared or hit a disk error). It reopens on the next action.');
        },
      });
    } catch (e) {
      if (migrationError !== null) throw migrationError;
      if ((e as Error)?.name === 'VersionError') {
        this.outdated = true;
        this.setState('outdated', new LibraryOutdatedError().message);
        throw new LibraryOutdatedError();
      }
      throw new StorageUnavailableError((e as Error)?.message ?? String(e), { cause: e });
    }
    if (this.closed) {
      db.close();
      throw new StorageUnavailableError('this library handle was closed');
    }
    this.db = db;
    this.setState('open', 'The photo library is open.');
    return db;
  }

  /** Another connection wants a newer version (or to delete the database): close ours so it can proceed. */
  private onBlocking(nextVersion: number | null): void {
    this.db?.close();
    this.db = null;
    if (nextVersion === null) {
      this.setState('terminated', 'Another tab deleted the photo library. It will be recreated on the next action.');
    } else {
      this.outdated = true;
      this.setState('outdated', new LibraryOutdatedError().message);
    }
  }

  /** One readonly transaction over `stores`. `body` must await only requests of `tx`. */
  async read<const S extends readonly StoreName[], T>(stores: S, body: (tx: ReadTx<S>) => Promise<T>): Promise<T> {
    const db = await this.connection();
    const tx = db.transaction(stores, 'readonly');
    const done = tx.done;
    done.catch(() => {});
    const result = await body(tx);
    await done;
    return result;
  }

  /**
   * One readwrite transaction over `stores`: `body` runs its requests (awaiting nothing else), then the
   * transaction commits, all or nothing. A quota failure, from a request or from the commit, becomes a
   * StorageFullError (also emitted as 'storage-full'); nothing written before is touched. After the commit,
   * `change(result)` (when it returns a change) goes to listeners here and to the other tabs.
   */
  async write<const S extends readonly StoreName[], T>(
    operation: string,
    stores: S,
    body: (tx: WriteTx<S>) => Promise<T>,
    change?: (result: T) => LibraryChange | null,
  ): Promise<T> {
    const db = await this.connection();
    let tx: WriteTx<S>;
    try {
      tx = db.transaction(stores, 'readwrite');
    } catch (e) {
      throw this.mapError(e, operation);
    }
    const done = tx.done;
    done.catch(() => {});
    let result: T;
    try {
      result = await body(tx);
      storageTestHooks.beforeCommit?.(operation, stores);
      await done;
    } catch (e) {
      try {
        tx.abort();
      } catch { /* already aborted or committed */ }
      let txError: unknown = null;
      try {
        txError = tx.error;
      } catch { /* not finished */ }
      throw this.mapError(isQuotaError(txError) ? txError : e, operation);
    }
    const c = change?.(result) ?? null;
    if (c) this.notifyChanged(c);
    this.scheduleQuotaRefresh();
    return result;
  }

  private mapError(e: unknown, operation: string): unknown {
    if (!isQuotaError(e)) return e;
    const err = new StorageFullError(operation, { cause: e });
    this.emitter.emit({ type: 'storage-full', error: err });
    void this.refreshQuota();
    return err;
  }

  /** Tells this tab's listeners (remote: false) and the other tabs (remote: true) what changed. */
  notifyChanged(change: LibraryChange): void {
    this.emitter.emit({ type: 'library-changed', change, remote: false });
    try {
      this.channel?.postMessage({ from: this.tabId, change } satisfies ChannelMessage);
    } catch { /* channel closed */ }
  }

  /** Reads navigator.storage and emits a 'quota' event. */
  async refreshQuota(): Promise<StorageEstimateInfo> {
    const estimate = await getStorageEstimate();
    this.emitter.emit({ type: 'quota', estimate });
    return estimate;
  }

  private scheduleQuotaRefresh(): void {
    if (this.quotaTimer !== null || this.closed) return;
    this.quotaTimer = setTimeout(() => {
      this.quotaTimer = null;
      if (!this.closed) void this.refreshQuota().catch(() => {});
    }, 1000);
  }

  /** Closes the connection and the channel and releases this tab's lock (its running jobs become claimable). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db?.close();
    this.db = null;
    this.channel?.close();
    this.releaseLock();
    if (this.quotaTimer !== null) clearTimeout(this.quotaTimer);
  }

  /** @internal used by openLibrary */
  setLockRelease(release: () => void): void {
    this.releaseLock = release;
  }
}

/**
 * Opens (creating or upgrading) the photo library, holds this tab's liveness lock, and puts jobs left
 * 'running' by a closed or crashed tab back in the queue.
 */
export async function openLibrary(opts: OpenLibraryOptions = {}): Promise<Library> {
  if (typeof indexedDB === 'undefined') throw new StorageUnavailableError('this browser has no IndexedDB');
  const lib = new Library(opts.name ?? DB_NAME, opts.tabId ?? newTabId(), opts.broadcast ?? true);
  if (opts.onEvent) lib.subscribe(opts.onEvent);
  try {
    lib.setLockRelease(await holdTabLock(lib.tabId));
    await lib.connection();
    await recoverJobs(lib);
  } catch (e) {
    lib.close();
    throw e;
  }
  void lib.refreshQuota().catch(() => {});
  return lib;
}
