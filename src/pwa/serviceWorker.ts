// The service worker (built into /sw.js by src/pwa/vitePlugin.ts, which prepends FWD2BOT_SW_BUILD: the build's
// version and the list of its files). It makes the app work with the network off after the first visit:
//
// - The app shell (index.html, the JS/CSS chunks, the engine worker, onnxruntime-web's .wasm, the web app
//   manifest and icons) is precached on install into "fwd2bot-shell-<version>"; a new build has a new
//   version, so it installs a new cache and deletes the old ones when it activates.
// - Navigations go to the network first and fall back to the cached index.html when it cannot be reached.
// - Model packages (any same-origin folder with a manifest.json of format "fwd2bot-model-package":
//   /models/default/, or a ?model=/path/ package) go into "fwd2bot-models-v1" as they are fetched, and when
//   the page asks (postMessage {type: 'cache-package', url}) after a model loaded before this worker
//   controlled the page. manifest.json is network-first (a new model at the same URL replaces the old
//   files); every other listed file is cache-first, and a cached copy is checked against the manifest's size
//   and sha256 each time it is served: a damaged copy is evicted and downloaded again, or, offline, answered
//   with HTTP 503 and a reason the model loader shows ("... damaged ... connect to the network ...").
//   Downloads are stored only when they match the manifest too.
//
// Written as a classic script (no imports): every browser runs classic service workers. Never touches
// requests to other origins (the CSP forbids them anyway).

declare const self: ServiceWorkerGlobalScope;
declare const FWD2BOT_SW_BUILD: { version: string; precache: string[] };
export type {};

const SHELL_PREFIX = 'fwd2bot-shell-';
const MODELS_PREFIX = 'fwd2bot-models-';
const SHELL_CACHE = `${SHELL_PREFIX}${FWD2BOT_SW_BUILD.version}`;
/** Bump the suffix only when the way package files are stored changes. */
const MODELS_CACHE = `${MODELS_PREFIX}v1`;
const MANIFEST_FILE = 'manifest.json';
const PACKAGE_FORMAT = 'fwd2bot-model-package';

const scope = self.registration.scope;
const INDEX_URL = new URL('index.html', scope).href;
const PRECACHE = FWD2BOT_SW_BUILD.precache.map((p) => new URL(p, scope).href);
const PRECACHED = new Set(PRECACHE);

interface PackageFile { path: string; bytes: number; sha256: string }
/** Package root URL (ending in '/') -> its listed files by path. */
type Packages = Map<string, Map<string, PackageFile>>;

// ---- install / activate ----

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    const old = await oldShellCaches();
    await Promise.all(PRECACHE.map(async (url) => {
      // Content-hashed assets unchanged since the last build are copied from its cache, not downloaded again.
      if (/\/assets\/[^/]+-[\w-]{8,}\.\w+$/.test(url)) {
        for (const c of old) {
          const hit = await c.match(url);
          if (hit) { await cache.put(url, hit); return; }
        }
      }
      const res = await fetch(new Request(url, { cache: 'reload' }));
      if (!res.ok) throw new Error(`Offline copy of the app: ${url} answered HTTP ${res.status}, so this version cannot be installed.`);
      await cache.put(url, res);
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      const stale = (name.startsWith(SHELL_PREFIX) && name !== SHELL_CACHE) || (name.startsWith(MODELS_PREFIX) && name !== MODELS_CACHE);
      if (stale) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function oldShellCaches(): Promise<Cache[]> {
  const names = (await caches.keys()).filter((n) => n.startsWith(SHELL_PREFIX) && n !== SHELL_CACHE);
  return Promise.all(names.map((n) => caches.open(n)));
}

// ---- fetch ----

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    event.respondWith(navigation(event));
    return;
  }
  const href = url.origin + url.pathname;
  if (PRECACHED.has(href)) {
    event.respondWith(shellFile(req, href));
    return;
  }
  event.respondWith(packageOrNetwork(event, req, url));
});

async function navigation(event: FetchEvent): Promise<Response> {
  try {
    return await fetch(event.request);
  } catch (e) {
    const cached = await caches.match(INDEX_URL, { cacheName: SHELL_CACHE });
    if (cached) return cached;
    throw e;
  }
}

async function shellFile(req: Request, href: string): Promise<Response> {
  const cached = await caches.match(href, { cacheName: SHELL_CACHE });
  return cached ?? fetch(req);
}

async function packageOrNetwork(event: FetchEvent, req: Request, url: URL): Promise<Response> {
  const href = url.origin + url.pathname;
  if (url.pathname.endsWith(`/${MANIFEST_FILE}`)) return manifestRequest(req, href);
  const pkg = findPackage(await packages(), href);
  const entry = pkg?.files.get(relativePath(pkg.root, href));
  if (!pkg || !entry) return fetch(req);
  return packageFile(event, req, href, entry);
}

/** Network first (a changed manifest means a new model at that URL); the saved copy when offline. */
async function manifestRequest(req: Request, href: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(req);
  } catch {
    const cached = await (await caches.open(MODELS_CACHE)).match(href);
    if (cached) return cached;
    // Not a package we know: an ordinary network error. A package we never saved: say so.
    return unavailable('The model is not saved for offline use yet: connect to the network once to download it');
  }
  if (res.ok) {
    const files = parsePackage(await res.clone().text().catch(() => ''));
    if (files) await savePackageManifest(href, res.clone(), files);
  }
  return res;
}

async function packageFile(event: FetchEvent, req: Request, href: string, entry: PackageFile): Promise<Response> {
  const cache = await caches.open(MODELS_CACHE);
  const cached = await cache.match(href);
  let damage: string | null = null;
  if (cached) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    damage = await mismatch(bytes, entry);
    if (!damage) return new Response(bytes, { status: 200, statusText: 'OK', headers: cached.headers });
    await cache.delete(href);
    console.warn(`fwd2bot offline copy: "${entry.path}" ${damage}; removed it and downloading it again.`);
  }
  let res: Response;
  try {
    res = await fetch(damage ? new Request(req, { cache: 'reload' }) : req);
  } catch {
    return unavailable(damage
      ? `The saved offline copy of ${entry.path} was damaged (its size or sha256 did not match the manifest) and was removed: connect to the network to download it again`
      : `${entry.path} is not saved for offline use yet: connect to the network once to download the model`);
  }
  if (res.ok) event.waitUntil(saveVerified(cache, href, res.clone(), entry));
  return res;
}

/** A 503 whose status text the model loader puts into its message ("... failed: HTTP 503 <reason>"). */
function unavailable(reason: string): Response {
  const statusText = reason.replace(/[^\x20-\x7e]/g, '?');
  return new Response(`${reason}.\n`, { status: 503, statusText, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

// ---- model packages ----

let known: Promise<Packages> | null = null;

/** The packages saved so far (read once from the cache, then kept up to date in memory). */
function packages(): Promise<Packages> {
  known ??= (async () => {
    const map: Packages = new Map();
    const cache = await caches.open(MODELS_CACHE);
    for (const req of await cache.keys()) {
      if (!req.url.endsWith(`/${MANIFEST_FILE}`)) continue;
      const files = parsePackage(await (await cache.match(req))?.text().catch(() => '') ?? '');
      if (files) map.set(req.url.slice(0, -MANIFEST_FILE.length), files);
    }
    return map;
  })();
  return known;
}

/** The deepest saved package whose folder holds `href`. */
function findPackage(all: Packages, href: string): { root: string; files: Map<string, PackageFile> } | null {
  let best: { root: string; files: Map<string, PackageFile> } | null = null;
  for (const [root, files] of all) if (href.startsWith(root) && (!best || root.length > best.root.length)) best = { root, files };
  return best;
}

/** The package path of `href` under `root` ('layers/pre_0.onnx'). */
function relativePath(root: string, href: string): string {
  const rel = href.slice(root.length);
  try { return decodeURIComponent(rel); } catch { return rel; }
}

/** The listed files of a package manifest, or null when the text is not one. */
function parsePackage(text: string): Map<string, PackageFile> | null {
  let m: unknown;
  try { m = JSON.parse(text); } catch { return null; }
  const o = m as { format?: unknown; files?: unknown };
  if (!o || o.format !== PACKAGE_FORMAT || !Array.isArray(o.files)) return null;
  const files = new Map<string, PackageFile>();
  for (const f of o.files as Partial<PackageFile>[]) {
    if (typeof f?.path !== 'string' || typeof f.bytes !== 'number' || typeof f.sha256 !== 'string') return null;
    files.set(f.path, { path: f.path, bytes: f.bytes, sha256: f.sha256.toLowerCase() });
  }
  return files;
}

async function savePackageManifest(href: string, res: Response, files: Map<string, PackageFile>): Promise<void> {
  const cache = await caches.open(MODELS_CACHE);
  await cache.put(href, res);
  const root = href.slice(0, -MANIFEST_FILE.length);
  const all = await packages();
  all.set(root, files);
  // Files of this folder the new manifest no longer lists (an older model at the same URL) are dropped.
  for (const req of await cache.keys()) {
    if (!req.url.startsWith(root) || req.url === href) continue;
    const owner = findPackage(all, req.url);
    if (owner?.root === root && !files.has(relativePath(root, req.url))) await cache.delete(req);
  }
}

/** Why `bytes` is not the file the manifest lists, or null when it is. */
async function mismatch(bytes: Uint8Array<ArrayBuffer>, entry: PackageFile): Promise<string | null> {
  if (bytes.length !== entry.bytes) return `has ${bytes.length} bytes, the manifest says ${entry.bytes}`;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const sha = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  return sha === entry.sha256 ? null : `has sha256 ${sha}, the manifest says ${entry.sha256} (damaged on disk)`;
}

async function saveVerified(cache: Cache, href: string, res: Response, entry: PackageFile): Promise<void> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const wrong = await mismatch(bytes, entry);
  if (wrong) {
    console.warn(`fwd2bot offline copy: the download of "${entry.path}" ${wrong}; not saved.`);
    return;
  }
  await cache.put(href, new Response(bytes, { status: 200, statusText: 'OK', headers: res.headers }));
}

/** Saves every listed file of the package at `base` that is not saved yet (after a load the worker did not see). */
async function cachePackage(base: string): Promise<{ ok: boolean; saved: number; total: number; failed: string[] }> {
  const root = new URL(base.endsWith('/') ? base : `${base}/`, scope).href;
  if (new URL(root).origin !== self.location.origin) return { ok: false, saved: 0, total: 0, failed: [`${root} is not on this origin`] };
  const manifestUrl = root + MANIFEST_FILE;
  const res = await manifestRequest(new Request(manifestUrl), manifestUrl);
  const files = res.ok ? parsePackage(await res.text()) : null;
  if (!files) return { ok: false, saved: 0, total: 0, failed: [`${manifestUrl}: HTTP ${res.status} ${res.statusText}`] };
  const cache = await caches.open(MODELS_CACHE);
  let saved = 0;
  const failed: string[] = [];
  for (const entry of files.values()) {
    const href = new URL(entry.path, root).href;
    if (await cache.match(href)) { saved++; continue; }
    try {
      const r = await fetch(href);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      await saveVerified(cache, href, r, entry);
      if (await cache.match(href)) saved++;
      else failed.push(`${entry.path}: does not match the manifest`);
    } catch (e) {
      failed.push(`${entry.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { ok: failed.length === 0, saved, total: files.size, failed };
}

self.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown; url?: unknown } | null;
  const port = event.ports[0];
  if (data?.type === 'cache-package' && typeof data.url === 'string') {
    event.waitUntil(cachePackage(data.url).then(
      (r) => port?.postMessage(r),
      (e: unknown) => port?.postMessage({ ok: false, saved: 0, total: 0, failed: [e instanceof Error ? e.message : String(e)] }),
    ));
  } else if (data?.type === 'version') {
    port?.postMessage({ version: FWD2BOT_SW_BUILD.version, shell: SHELL_CACHE, models: MODELS_CACHE });
  }
});
