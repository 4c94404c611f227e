// Offline support, the page's half: registers /sw.js (src/pwa/serviceWorker.ts, production builds only) and,
// each time a model package loads from a URL, asks the service worker to save any of its files it has not
// saved yet (the first visit loads the model before the worker controls the page, so it never saw those
// downloads).
//
// Progress is visible on <html>: data-offline = "registering" | "app" (the app shell is saved: the worker
// is active, and serves the next load of the page) | "ready" (the model in use is saved too) | "unavailable" (no service worker:
// unsupported, private browsing, or registration failed; data-offline-reason says why), and
// data-offline-model = the saved package's URL. The dev server never registers it (its modules are not
// what a build precaches) and removes a worker a production build left on the same origin.

import { modelStore } from '../state/model';

export type OfflineState = 'registering' | 'app' | 'ready' | 'unavailable';

/** What the service worker answers to a cache-package request. */
export interface SavedPackage { ok: boolean; saved: number; total: number; failed: string[] }

function mark(state: OfflineState, extra: Record<string, string> = {}): void {
  const el = document.documentElement;
  el.dataset.offline = state;
  for (const [k, v] of Object.entries(extra)) el.dataset[k] = v;
}

/** Asks the active service worker to save the package at `url`; resolves with its report. */
export async function savePackageForOffline(url: string): Promise<SavedPackage> {
  const reg = await navigator.serviceWorker.ready;
  const worker = reg.active;
  if (!worker) throw new Error('No active service worker to save the model for offline use.');
  const channel = new MessageChannel();
  const answer = new Promise<SavedPackage>((resolve) => { channel.port1.onmessage = (e) => resolve(e.data as SavedPackage); });
  worker.postMessage({ type: 'cache-package', url: new URL(url, location.href).href }, [channel.port2]);
  return answer;
}

/** Call once at start (main.tsx). Never throws: offline support is an extra, the app works without it. */
export function startOfflineSupport(): void {
  if (!('serviceWorker' in navigator)) {
    mark('unavailable', { offlineReason: 'This browser has no service workers.' });
    return;
  }
  if (import.meta.env.DEV) {
    void navigator.serviceWorker.getRegistrations().then((regs) => Promise.all(regs.map((r) => r.unregister())));
    return;
  }
  mark('registering');
  const register = async () => {
    try {
      await navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL });
      // Active means installed: the app shell is in its cache, and the next load of the page is served by it.
      await navigator.serviceWorker.ready;
      mark('app');
    } catch (e) {
      const reason = `The app cannot be saved for offline use: registering its service worker failed (${e instanceof Error ? e.message : String(e)}).`;
      console.warn(reason);
      mark('unavailable', { offlineReason: reason });
      return;
    }
    let saving: string | null = null;
    const saveModel = async () => {
      const m = modelStore.getState().model;
      const url = m.kind === 'ready' ? m.info.baseUrl : null;
      if (!url || url === saving) return;
      saving = url;
      mark('app');
      try {
        const r = await savePackageForOffline(url);
        if (saving !== url) return;
        if (r.ok) mark('ready', { offlineModel: url });
        else console.warn(`The model at ${url} is only partly saved for offline use (${r.saved} of ${r.total} files): ${r.failed.join('; ')}`);
      } catch (e) {
        console.warn(`The model at ${url} could not be saved for offline use: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    modelStore.subscribe(() => { void saveModel(); });
    void saveModel();
  };
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}
