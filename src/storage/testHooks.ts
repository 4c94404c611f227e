// Fault injection for tests: lets a test make a write transaction fail the way the browser fails it
// (e.g. throw a real DOMException('...', 'QuotaExceededError') after every put of the transaction has run,
// just before commit), so the real abort / error-mapping / event path runs. Never set outside tests.

export interface StorageTestHooks {
  /** Called inside every write transaction after its body ran, before it commits. Throw to fail it. */
  beforeCommit: ((operation: string, stores: readonly string[]) => void) | null;
}

export const storageTestHooks: StorageTestHooks = { beforeCommit: null };
