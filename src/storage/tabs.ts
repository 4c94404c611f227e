// Which tabs are alive, for the job queue: each open library holds a Web Lock named after its tab id for as long as
// the tab lives. The browser releases the lock when the tab closes or crashes, so a 'running' job whose owner
// no longer holds its lock was abandoned and can be taken over at once (without waiting for the lease to expire).
// Works in windows and workers. Without Web Locks, liveTabIds() returns null and only lease expiry counts.

const PREFIX = 'fwd2bot-tab:';

export function newTabId(): string {
  return crypto.randomUUID();
}

/** Holds this tab's lock until the returned function is called (or the tab dies). */
export async function holdTabLock(tabId: string): Promise<() => void> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return () => {};
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  await new Promise<void>((held, failed) => {
    locks.request(PREFIX + tabId, () => {
      held();
      return released;
    }).catch(failed);
  });
  return release;
}

/** Tab ids whose lock is held right now, or null when the browser has no Web Locks. */
export async function liveTabIds(): Promise<Set<string> | null> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return null;
  const { held = [] } = await locks.query();
  const ids = new Set<string>();
  for (const l of held) if (l.name?.startsWith(PREFIX)) ids.add(l.name.slice(PREFIX.length));
  return ids;
}
